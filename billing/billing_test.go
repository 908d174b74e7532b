package billing_test

import (
	"slices"
	"testing"
	"time"

	"github.com/credmesh/credmesh/billing"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
)

// receiptBlock is block 1 of responder's chain holding receipts of queries
// made by the given queriers, at the given times.
func receiptBlock(t *testing.T, responder int, queriers []int, at []time.Time) *chain.VerifiedBlock {
	t.Helper()
	var entries [][]byte
	for i, q := range queriers {
		query := chaintest.Query(q, responder*100+i)
		query.TimeMs = at[i].UnixMilli()
		fee, currency := uint64(chaintest.FeeMinor), chaintest.FeeCurrency
		if q == responder {
			fee, currency = 0, "" // a member's query of itself
		}
		r := chaintest.ReceiptOf(query, chaintest.Key(q), fee, currency)
		e, err := chain.EncodeEntry(&chainpb.Entry{Body: &chainpb.Entry_QueryReceipt{QueryReceipt: r}})
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	sealed := slices.MaxFunc(at, time.Time.Compare) // after every query it records
	b, err := chain.NewBlock(chaintest.NetworkID, nil, entries, chaintest.Key(responder), sealed)
	if err != nil {
		t.Fatal(err)
	}
	vb, err := chain.ValidateBlock(b, nil, chaintest.Members(3), chaintest.Params(), sealed.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return vb
}

func TestStatementBalancesAndCountsThePeriod(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	nov := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	dec := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	// Member 1 answered three queries of member 0 (one in December), one
	// of member 2 and one of its own (not billed); member 2 answered two of
	// member 0.
	if err := st.Append(
		receiptBlock(t, 1, []int{0, 0, 0, 2, 1}, []time.Time{nov, nov, dec, nov, nov}),
		receiptBlock(t, 2, []int{0, 0}, []time.Time{nov, nov}),
	); err != nil {
		t.Fatal(err)
	}
	members := []chain.IssuerID{chaintest.Issuer(0), chaintest.Issuer(1), chaintest.Issuer(2)}
	s, err := billing.Compute(st, members, "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	fee := uint64(chaintest.FeeMinor)
	want := []struct{ made, served int }{{4, 0}, {0, 3}, {1, 2}}
	for i, l := range s.Lines {
		if l.QueriesMade != want[i].made || l.QueriesServed != want[i].served {
			t.Errorf("member %d: made %d served %d, want %d %d", i, l.QueriesMade, l.QueriesServed, want[i].made, want[i].served)
		}
		if l.Net["CNY"] != int64(fee)*int64(want[i].served-want[i].made) {
			t.Errorf("member %d: net %d", i, l.Net["CNY"])
		}
	}
	pay, recv := s.Totals()
	if pay["CNY"] != recv["CNY"] || pay["CNY"] != 5*fee {
		t.Fatalf("totals: payable %v, receivable %v", pay, recv)
	}
	if _, err := billing.Compute(st, members, "2026-13"); err == nil {
		t.Fatal("a bad period was accepted")
	}
}
