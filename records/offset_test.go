package records_test

import (
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/records"
)

// A payment keeps the UTC offset its paid_at was written in, beside the
// instant, and is shown in it again.
func TestPaymentKeepsItsUTCOffset(t *testing.T) {
	for _, paidAt := range []string{"2026-10-15T09:30:00+08:00", "2026-10-15T09:30:00-05:30", "2026-10-15T01:30:00Z"} {
		r := records.SamplePayment("tax", 1, 10)
		r.PaidAt = paidAt
		e, err := r.Entry(ctx)
		if err != nil {
			t.Fatalf("%s: %v", paidAt, err)
		}
		rec, err := chain.OpenPayment(chaintest.NetworkID, r.OrderID, chaintest.Issuer(0), e.GetPayment())
		if err != nil {
			t.Fatalf("%s: %v", paidAt, err)
		}
		want, _ := time.Parse(time.RFC3339, paidAt)
		if rec.PaidAtMs != want.UnixMilli() {
			t.Errorf("%s: paid_at_ms %d, want the instant %d", paidAt, rec.PaidAtMs, want.UnixMilli())
		}
		if got := node.PaidAt(rec).Format(time.RFC3339); got != paidAt {
			t.Errorf("shown as %s, submitted as %s", got, paidAt)
		}
	}
}

func TestPaymentRefusesAnImpossibleOffset(t *testing.T) {
	r := records.SamplePayment("tax", 1, 10)
	r.PaidAt = "2026-10-15T09:30:00+19:00"
	if _, err := r.Entry(ctx); err == nil {
		t.Fatal("an offset of 19 hours was accepted")
	}
}
