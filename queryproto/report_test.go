package queryproto_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/credmesh/credmesh/queryproto/querypb"
)

const (
	loanPurpose = chainpb.QueryPurpose_QUERY_PURPOSE_LOAN_APPLICATION
	cardPurpose = chainpb.QueryPurpose_QUERY_PURPOSE_CREDIT_CARD_APPLICATION
	opened      = chainpb.CreditEventKind_CREDIT_EVENT_KIND_OPENED
	repaid      = chainpb.CreditEventKind_CREDIT_EVENT_KIND_REPAID
	overdue     = chainpb.CreditEventKind_CREDIT_EVENT_KIND_OVERDUE
	closed      = chainpb.CreditEventKind_CREDIT_EVENT_KIND_CLOSED
)

func newReporter(t testing.TB, m *member) *queryproto.Reporter {
	t.Helper()
	r, err := queryproto.NewReporter(queryproto.ReporterConfig{
		Host: m.net.Host(), NetworkID: chaintest.NetworkID, Members: m.members,
		Key: chaintest.Key(m.key), Store: m.st, Local: m.srv,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// seedCredit gives subject this history:
//   - member 1 (chain): account A opened 5,000.00, then 35 days overdue
//     with 4,000.00 outstanding; account B opened, then withdrawn by a
//     correction (it was entered by mistake);
//   - member 2 (chain): account C opened and repaid to zero;
//   - member 3 (private): account D opened with 2,500.00 outstanding.
//
// So: active accounts A and D, 6,500.00 outstanding, worst 35 days
// overdue, active lenders members 1 and 3.
func seedCredit(t *testing.T, ms []*member, subject []byte) {
	at := chaintest.Epoch
	a1 := creditEvent("EV-A1", "ACC-A", subject, opened, 500_000, 0, at)
	a2 := creditEvent("EV-A2", "ACC-A", subject, overdue, 400_000, 35, at.Add(40*24*time.Hour))
	b1 := creditEvent("EV-B1", "ACC-B", subject, opened, 900_000, 0, at)
	ms[1].submit(creditEntry(a1), creditEntry(b1))
	withdraw := &chainpb.Entry{Body: &chainpb.Entry_Correction{Correction: &chainpb.Correction{
		CorrectionId: "FIX-B1", TargetKey: chain.EntryKey(creditEntry(b1)),
		Action: chainpb.CorrectionAction_CORRECTION_ACTION_WITHDRAW, Reason: "entered for the wrong subject",
	}}}
	ms[1].submit(creditEntry(a2), withdraw)
	ms[2].submit(
		creditEntry(creditEvent("EV-C1", "ACC-C", subject, opened, 100_000, 0, at)),
		creditEntry(creditEvent("EV-C2", "ACC-C", subject, repaid, 0, 0, at.Add(time.Hour))),
	)
	d, err := chain.EncodeEntry(creditEntry(creditEvent("EV-D1", "ACC-D", subject, opened, 250_000, 0, at)))
	if err != nil {
		t.Fatal(err)
	}
	if err := ms[3].st.PutPrivate(subject, "ACC-D", d); err != nil {
		t.Fatal(err)
	}
	// Noise: another subject's record on member 1's chain.
	ms[1].submit(creditEntry(creditEvent("EV-X1", "ACC-X", chaintest.Ref(999), opened, 1, 0, at)))
}

// Five members, one stopped: the report completes by its deadline listing
// that member as unavailable, every other answer verifies, and the summary
// adds up.
func TestReportWithOneMemberDown(t *testing.T) {
	ms := startNetwork(t, 5)
	subject := chaintest.Ref(42)
	seedCredit(t, ms, subject)
	ms[4].stop()

	r := newReporter(t, ms[0])
	const deadline = 3 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	rep, err := r.Report(ctx, queryproto.ReportRequest{
		QueryID: "Q-report-1", Subject: privacy.Ref(subject), Purpose: loanPurpose, ConsentRef: "CONSENT-77",
	})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > deadline+500*time.Millisecond {
		t.Fatalf("the report took %s, deadline %s", took, deadline)
	}
	if len(rep.Results) != 5 {
		t.Fatalf("%d results, want 5", len(rep.Results))
	}
	for _, res := range rep.Results {
		t.Logf("member %s: %s in %s (err %v)", res.Member.Short(), res.Outcome, res.Latency.Round(time.Microsecond), res.Err)
		if res.Member == chaintest.Issuer(4) {
			if res.Available() || res.Err == nil {
				t.Errorf("the stopped member is listed as %s", res.Outcome)
			}
			continue
		}
		if res.Outcome != queryproto.OutcomeAnswered {
			t.Errorf("member %s: %s: %v", res.Member.Short(), res.Outcome, res.Err)
			continue
		}
		// The answer verifies again, independently.
		if err := res.Answer.Verify(rep.Query, res.Member, ms[0].members); err != nil {
			t.Errorf("member %s: %v", res.Member.Short(), err)
		}
		fee, currency := uint64(200), "CNY"
		if res.Member == ms[0].issuer() {
			fee, currency = 0, "" // our own query of ourselves is not billed
		}
		if res.Answer.FeeMinor != fee || res.Answer.FeeCurrency != currency {
			t.Errorf("member %s charged %d %q", res.Member.Short(), res.Answer.FeeMinor, res.Answer.FeeCurrency)
		}
	}
	want := queryproto.Summary{
		Asked: 5, Answered: 4, ActiveAccounts: 2, Outstanding: map[string]uint64{"CNY": 650_000},
		WorstDaysOverdue: 35, ActiveLenders: 2,
	}
	got := rep.Summary
	accounts, windows := got.Accounts, got.Borrowing
	got.Accounts, got.Borrowing = nil, nil
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("summary\n got %+v\nwant %+v", got, want)
	}
	// history.go, borrowing.go: every account with its repayment string
	// (three: the one closed too), the five windows, no lending queries.
	if len(accounts) != 3 || len(windows) != len(queryproto.BorrowingWindowDays) || windows[4].Queries != 0 {
		t.Fatalf("accounts %+v, windows %+v", accounts, windows)
	}
	for _, a := range accounts {
		if len(a.Repayment) != queryproto.HistoryMonths {
			t.Fatalf("account %s: repayment string %q", a.AccountID, a.Repayment)
		}
	}
	// Member 1 answered its four records on the subject, withdrawal
	// included; member 3 its private one.
	for _, res := range rep.Results {
		switch res.Member {
		case chaintest.Issuer(1):
			if len(res.Answer.Records) != 4 || len(res.Answer.Private) != 0 {
				t.Errorf("member 1 answered %d chain and %d private records", len(res.Answer.Records), len(res.Answer.Private))
			}
		case chaintest.Issuer(3):
			if len(res.Answer.Records) != 0 || len(res.Answer.Private) != 1 {
				t.Errorf("member 3 answered %d chain and %d private records", len(res.Answer.Records), len(res.Answer.Private))
			}
		}
	}
}

// After a series of reports, every responder's chain holds a receipt of
// each, the receipts replicate, and later reports count the distinct
// lending queriers.
func TestReceiptsLandOnResponderChains(t *testing.T) {
	ms := startNetwork(t, 4)
	subject := chaintest.Ref(43)
	reporters := []*queryproto.Reporter{newReporter(t, ms[0]), newReporter(t, ms[1]), newReporter(t, ms[2])}
	ctx := context.Background()
	ask := func(r int, id string, purpose chainpb.QueryPurpose) *queryproto.Report {
		t.Helper()
		rep, err := reporters[r].Report(ctx, queryproto.ReportRequest{
			QueryID: id, Subject: privacy.Ref(subject), Purpose: purpose, ConsentRef: "CONSENT-" + id,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, res := range rep.Results {
			if res.Outcome != queryproto.OutcomeAnswered {
				t.Fatalf("report %s: member %s: %s: %v", id, res.Member.Short(), res.Outcome, res.Err)
			}
		}
		return rep
	}
	ask(0, "Q-0-1", loanPurpose)
	ask(0, "Q-0-2", chainpb.QueryPurpose_QUERY_PURPOSE_POST_LOAN_REVIEW)
	rep := ask(1, "Q-1-1", cardPurpose)
	// The same signed query sent again is answered, and not recorded
	// twice.
	c := queryproto.NewClient(ms[1].net.Host(), chaintest.NetworkID)
	for _, m := range ms[2:] {
		a, err := c.CreditQuery(ctx, m.id(), rep.Query)
		if err != nil {
			t.Fatalf("member %d refused the same query again: %v", m.key, err)
		}
		if err := a.Verify(rep.Query, m.issuer(), m.members); err != nil {
			t.Fatal(err)
		}
	}
	// Another query under the same query ID is refused by every member,
	// which records nothing of it.
	again, err := reporters[1].Report(ctx, queryproto.ReportRequest{
		QueryID: "Q-1-1", Subject: privacy.Ref(chaintest.Ref(44)), Purpose: cardPurpose, ConsentRef: "CONSENT-Q-1-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range again.Results {
		if res.Outcome != queryproto.OutcomeRefused || res.Status != querypb.Status_STATUS_BAD_REQUEST || !strings.Contains(res.Err.Error(), "query ID already used") {
			t.Errorf("a second query under a used ID: member %s: %s %s: %v", res.Member.Short(), res.Outcome, res.Status, res.Err)
		}
	}
	for _, m := range ms {
		m.flush()
	}
	for _, m := range ms {
		for q, want := range map[int]int{0: 2, 1: 1} {
			n := 0
			m.st.ReceiptsByQuerier(chaintest.Issuer(q), func(loc store.Location) bool {
				if loc.Issuer == m.issuer() {
					n++
				}
				return true
			})
			if n != want {
				t.Errorf("member %d's chain holds %d receipts of member %d's queries, want %d", m.key, n, q, want)
			}
		}
	}
	for _, m := range ms {
		replicated(t, ms, m)
	}
	rep = ask(2, "Q-2-1", loanPurpose)
	if s := rep.Summary; s.LendingQueriers30d != 2 || s.LendingQueriers90d != 2 {
		t.Fatalf("lending queriers %d (30 d), %d (90 d); want 2 and 2", s.LendingQueriers30d, s.LendingQueriers90d)
	}
	if s := rep.Summary; s.ActiveAccounts != 0 || len(s.Outstanding) != 0 {
		t.Fatalf("a subject with no credit history: %+v", s)
	}
}
