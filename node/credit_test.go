package node_test

import (
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/records"
)

// A credit event of a private kind sent to POST /v1/records is kept private,
// as credit import keeps it: it is in no block of any peer, and credit
// queries answer it as a private record. Event IDs used before are refused
// by both endpoints, per record.
func TestRecordsKeepsPrivateCreditPrivate(t *testing.T) {
	net, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "private-test", Members: devnet.DefaultMembers[1:3]})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := net.Stop(); err != nil {
			t.Errorf("stopping: %v", err)
		}
	})
	ctx := withTimeout(t, 60*time.Second)
	lender, asker := api.NewClient(net.Node(0).APIAddr(), ""), api.NewClient(net.Node(1).APIAddr(), "")

	// Loan 0: opened (private) and overdue (negative, published).
	loan := records.SampleCreditEvents("bank-a", 0, 10)
	if len(loan) != 2 || loan[0].Kind != "opened" || loan[1].Kind != "overdue" {
		t.Fatalf("sample loan: %+v", loan)
	}
	r, err := lender.Submit(ctx, loan)
	if err != nil || r.Accepted != 2 {
		t.Fatalf("submit: %+v %v", r, err)
	}
	if err := net.WaitInSync(ctx, nil); err != nil {
		t.Fatal(err)
	}

	// No peer holds the opened event in a block; the overdue one is on
	// the lender's chain everywhere.
	iss := net.Node(0).Issuer()
	for i := range 2 {
		st := net.Node(i).Store()
		head := st.Head(iss)
		if head == nil {
			t.Fatalf("peer %d holds none of the lender's chain", i)
		}
		kinds := map[chainpb.CreditEventKind]int{}
		for h := uint64(1); h <= head.Height; h++ {
			b, err := st.Block(iss, h)
			if err != nil {
				t.Fatal(err)
			}
			for _, data := range b.Entries {
				e, err := chain.DecodeEntry(data, len(data))
				if err != nil {
					t.Fatal(err)
				}
				if ev := e.GetCreditEvent(); ev != nil {
					kinds[ev.Kind]++
					if ev.EventId == loan[0].EventID {
						t.Fatalf("peer %d holds private event %s in block %d", i, ev.EventId, h)
					}
				}
			}
		}
		if kinds[chainpb.CreditEventKind_CREDIT_EVENT_KIND_OVERDUE] != 1 || len(kinds) != 1 {
			t.Fatalf("peer %d: credit events on the lender's chain %v, want the one overdue event", i, kinds)
		}
	}

	// The other member's report gets the opened event as a private record,
	// the overdue one as a chain record.
	rep, err := asker.Report(ctx, api.ReportRequest{Subject: *loan[0].Subject, Purpose: "loan_application", ConsentRef: "C-1"})
	if err != nil {
		t.Fatal(err)
	}
	var fromLender *api.ReportMember
	for i := range rep.Members {
		if rep.Members[i].Name == devnet.DefaultMembers[1].Name {
			fromLender = &rep.Members[i]
		}
	}
	if fromLender == nil || fromLender.Outcome != "answered" || fromLender.PrivateRecords != 1 || fromLender.Records != 1 {
		t.Fatalf("the lender's answer: %+v", fromLender)
	}
	if rep.Summary.ActiveAccounts != 1 || rep.Summary.WorstDaysOverdue == 0 {
		t.Fatalf("report summary: %+v", rep.Summary)
	}

	// Sending loan 0 again, to either endpoint, is answered "duplicate"
	// record by record; so is a second import of loan 1.
	refusedAll := func(what string, r *api.SubmitResponse, err error, want ...string) {
		t.Helper()
		if err != nil || r.Accepted != 0 || r.Refused != 0 || r.Duplicates != len(want) {
			t.Fatalf("%s: %+v %v", what, r, err)
		}
		for i, w := range want {
			if r.Results[i].Status != api.StatusDuplicate || !strings.Contains(r.Results[i].Error, w) {
				t.Errorf("%s: record %d %s with %q, want duplicate with %q", what, i, r.Results[i].Status, r.Results[i].Error, w)
			}
		}
	}
	r, err = lender.Submit(ctx, loan)
	refusedAll("records again", r, err, "duplicate: credit event "+loan[0].EventID+" was accepted before and is held privately", "already accepted")
	r, err = lender.ImportCredit(ctx, loan, false)
	refusedAll("import of the records", r, err, "duplicate: credit event "+loan[0].EventID+" was accepted before", "duplicate: credit event "+loan[1].EventID+" is already published on our chain")
	r, err = lender.ImportCredit(ctx, loan, true)
	refusedAll("import --publish of the records", r, err, "held privately", "already accepted")

	loan1 := records.SampleCreditEvents("bank-a", 1, 10)
	if r, err := lender.ImportCredit(ctx, loan1, false); err != nil || r.Accepted != len(loan1) {
		t.Fatalf("import: %+v %v", r, err)
	}
	r, err = lender.ImportCredit(ctx, loan1, false)
	refusedAll("import again", r, err, "duplicate: credit event "+loan1[0].EventID+" was accepted before and is held privately")
	twice := []records.Record{records.SampleCreditEvents("bank-a", 2, 10)[0], records.SampleCreditEvents("bank-a", 2, 10)[0]}
	r, err = lender.ImportCredit(ctx, twice, false)
	if err != nil || r.Accepted != 1 || r.Results[1].Status != api.StatusDuplicate || !strings.Contains(r.Results[1].Error, "comes twice in this request (first at index 0)") {
		t.Fatalf("one event twice in a request: %+v %v", r, err)
	}
}
