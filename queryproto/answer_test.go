package queryproto

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
)

func TestQueryRoundTripAndCheck(t *testing.T) {
	q := testQuery(t, 1, "Q-1")
	got, err := DecodeSignedQuery(q.Raw, q.Signature)
	if err != nil {
		t.Fatal(err)
	}
	if got.CreditQuery != q.CreditQuery || got.Hash != q.Hash {
		t.Fatalf("decoded %+v, signed %+v", got.CreditQuery, q.CreditQuery)
	}
	if err := got.Check(chaintest.NetworkID, testTime.Add(4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		network string
		now     time.Time
		want    error
	}{
		"stale":           {chaintest.NetworkID, testTime.Add(6 * time.Minute), ErrUnauthorized},
		"from the future": {chaintest.NetworkID, testTime.Add(-6 * time.Minute), ErrUnauthorized},
		"other network":   {"other-net", testTime, ErrBadRequest},
	} {
		if err := got.Check(tc.network, tc.now); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if _, err := SignQuery(q.CreditQuery, chaintest.Key(2)); err == nil {
		t.Error("signed a query with another member's key")
	}
	for name, edit := range map[string]func(*CreditQuery){
		"no consent":      func(c *CreditQuery) { c.ConsentRef = "" },
		"unknown purpose": func(c *CreditQuery) { c.Purpose = 99 },
		"no purpose":      func(c *CreditQuery) { c.Purpose = 0 },
		"spaced ID":       func(c *CreditQuery) { c.QueryID = "Q 1" },
		"zero time":       func(c *CreditQuery) { c.Time = time.UnixMilli(0) },
	} {
		c := q.CreditQuery
		edit(&c)
		if _, err := SignQuery(c, chaintest.Key(1)); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %v, want ErrBadRequest", name, err)
		}
	}
}

func TestAnswerVerify(t *testing.T) {
	q := testQuery(t, 1, "Q-1")
	at := chaintest.Epoch
	ev := eventEntry(event("E1", "A", chainpb.CreditEventKind_CREDIT_EVENT_KIND_OPENED, 100, 0, at))
	other := event("E2", "A", chainpb.CreditEventKind_CREDIT_EVENT_KIND_OPENED, 100, 0, at)
	other.SubjectRef = chaintest.Ref(7)
	receipt := &chainpb.Entry{Body: &chainpb.Entry_QueryReceipt{QueryReceipt: chaintest.Receipt(1, 42)}}
	proofs := blockProofs(t, 0, encode(t, ev), encode(t, eventEntry(other)), encode(t, receipt))
	foreign := blockProofs(t, 2, encode(t, ev))
	answer := func(edit func(*CreditAnswer)) *SignedAnswer {
		a := CreditAnswer{
			NetworkID: chaintest.NetworkID, Responder: chaintest.Issuer(0), QueryHash: q.Hash, Time: testTime,
			Records: proofs[:1], Private: [][]byte{encode(t, ev)}, FeeMinor: 200, FeeCurrency: "CNY",
		}
		if edit != nil {
			edit(&a)
		}
		sa, err := SignAnswer(a, chaintest.Key(0))
		if err != nil {
			t.Fatal(err)
		}
		// Verify what the wire delivers.
		got, err := DecodeSignedAnswer(sa.Raw, sa.Signature)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	members := chaintest.Members(3)
	if err := answer(nil).Verify(q, chaintest.Issuer(0), members); err != nil {
		t.Fatal(err)
	}
	badSig := answer(nil)
	badSig.Signature[0] ^= 1
	cases := map[string]struct {
		a    *SignedAnswer
		as   chain.IssuerID
		want string
	}{
		"other responder":      {answer(nil), chaintest.Issuer(1), "names responder"},
		"bad signature":        {badSig, chaintest.Issuer(0), "responder signature"},
		"other query":          {answer(func(a *CreditAnswer) { a.QueryHash[0] ^= 1 }), chaintest.Issuer(0), "another query"},
		"other network":        {answer(func(a *CreditAnswer) { a.NetworkID = "x-net" }), chaintest.Issuer(0), "network"},
		"other subject":        {answer(func(a *CreditAnswer) { a.Records = proofs[1:2] }), chaintest.Issuer(0), "another subject"},
		"receipt":              {answer(func(a *CreditAnswer) { a.Records = proofs[2:3] }), chaintest.Issuer(0), "not a credit record"},
		"foreign chain":        {answer(func(a *CreditAnswer) { a.Records = foreign }), chaintest.Issuer(0), "not the responder's"},
		"repeated":             {answer(func(a *CreditAnswer) { a.Records = []*chain.Proof{proofs[0], proofs[0]} }), chaintest.Issuer(0), "repeats"},
		"private of other":     {answer(func(a *CreditAnswer) { a.Private = [][]byte{encode(t, eventEntry(other))} }), chaintest.Issuer(0), "another subject"},
		"private not an event": {answer(func(a *CreditAnswer) { a.Private = [][]byte{encode(t, receipt)} }), chaintest.Issuer(0), "not a credit event"},
	}
	for name, tc := range cases {
		err := tc.a.Verify(q, tc.as, members)
		if !errors.Is(err, ErrVerify) || !contains(err, tc.want) {
			t.Errorf("%s: %v, want ErrVerify naming %q", name, err, tc.want)
		}
	}
	// A record moved to another index does not prove.
	moved := *proofs[0]
	moved.Index = 1
	if err := answer(func(a *CreditAnswer) { a.Records = []*chain.Proof{&moved} }).Verify(q, chaintest.Issuer(0), members); !errors.Is(err, chain.ErrBadRoot) {
		t.Errorf("moved record: %v", err)
	}
}

func contains(err error, s string) bool {
	return err != nil && strings.Contains(err.Error(), s)
}

// The summary rules of doc.go, on answers from three lenders.
func TestSummarizeAnswers(t *testing.T) {
	q := testQuery(t, 9, "Q-9")
	at := chaintest.Epoch
	day := 24 * time.Hour
	const (
		opened  = chainpb.CreditEventKind_CREDIT_EVENT_KIND_OPENED
		repaid  = chainpb.CreditEventKind_CREDIT_EVENT_KIND_REPAID
		overdue = chainpb.CreditEventKind_CREDIT_EVENT_KIND_OVERDUE
		closed  = chainpb.CreditEventKind_CREDIT_EVENT_KIND_CLOSED
	)
	replaced := event("L0-A2", "A", overdue, 800, 20, at.Add(2*day))
	fix := &chainpb.Entry{Body: &chainpb.Entry_Correction{Correction: &chainpb.Correction{
		CorrectionId: "FIX-1", TargetKey: chain.EntryKey(eventEntry(event("L0-A2", "A", overdue, 900, 90, at.Add(2*day)))),
		Action: chainpb.CorrectionAction_CORRECTION_ACTION_REPLACE, Replacement: eventEntry(replaced), Reason: "days overdue miscounted",
	}}}
	withdraw := &chainpb.Entry{Body: &chainpb.Entry_Correction{Correction: &chainpb.Correction{
		CorrectionId: "FIX-2", TargetKey: chain.EntryKey(eventEntry(event("L0-B1", "B", opened, 0, 0, at))),
		Action: chainpb.CorrectionAction_CORRECTION_ACTION_WITHDRAW, Reason: "duplicate",
	}}}
	expired := event("L1-D1", "D", overdue, 50, 400, at.AddDate(-6, 0, 0))
	expired.ExpiresAtMs = at.AddDate(-1, 0, 0).UnixMilli()
	lender0 := blockProofs(t, 0,
		encode(t, eventEntry(event("L0-A1", "A", opened, 1000, 0, at))),
		encode(t, eventEntry(event("L0-A2", "A", overdue, 900, 90, at.Add(2*day)))), // replaced: 20 days, 800
		encode(t, eventEntry(event("L0-B1", "B", opened, 5000, 0, at))),             // withdrawn
		encode(t, fix), encode(t, withdraw),
	)
	lender1 := blockProofs(t, 1,
		encode(t, eventEntry(event("L1-C1", "C", opened, 300, 0, at))),
		encode(t, eventEntry(event("L1-C2", "C", repaid, 0, 0, at.Add(day)))), // repaid to zero: inactive
		encode(t, eventEntry(expired)),                                        // expired: ignored
	)
	sign := func(issuer int, recs []*chain.Proof, private ...*chainpb.CreditEvent) *SignedAnswer {
		a := CreditAnswer{NetworkID: chaintest.NetworkID, Responder: chaintest.Issuer(issuer), QueryHash: q.Hash, Time: testTime, Records: recs}
		for _, p := range private {
			a.Private = append(a.Private, encode(t, eventEntry(p)))
		}
		sa, err := SignAnswer(a, chaintest.Key(issuer))
		if err != nil {
			t.Fatal(err)
		}
		if err := sa.Verify(q, chaintest.Issuer(issuer), chaintest.Members(3)); err != nil {
			t.Fatal(err)
		}
		return sa
	}
	answers := []*SignedAnswer{
		sign(0, lender0),
		sign(1, lender1),
		sign(2, nil,
			event("L2-E1", "E", opened, 700, 0, at),
			event("L2-E2", "E", repaid, 400, 0, at.Add(day)), // still owes 400
			event("L2-F1", "F", opened, 100, 0, at),
			event("L2-F2", "F", closed, 0, 0, at.Add(day)),
		),
	}
	got, err := summarizeAnswers(answers, 4, testTime)
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{
		Asked: 4, Answered: 3, ActiveAccounts: 2, Outstanding: map[string]uint64{"CNY": 800 + 400},
		WorstDaysOverdue: 20, ActiveLenders: 2,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("summary\n got %+v\nwant %+v", got, want)
	}
}
