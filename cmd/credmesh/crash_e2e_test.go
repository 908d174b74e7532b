package main_test

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/records"
)

// A peer killed with SIGKILL while records are being submitted loses
// nothing it accepted: after a restart every acknowledged record is in its
// chain, as another peer holds it.
func TestKilledDuringSubmitLosesNothingAccepted(t *testing.T) {
	peers := setupNetwork(t, "Tax Bureau", "Bank A")
	tax, bank := peers[0], peers[1]
	startAll(t, tax, bank)

	acked := make(chan []string, 1000)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		c := tax.client()
		for batch := 0; ; batch++ {
			var recs []records.Record
			var ids []string
			for i := range 100 {
				r := records.SamplePayment("tax", batch*100+i, 100)
				recs = append(recs, r)
				ids = append(ids, r.OrderID)
			}
			resp, err := c.Submit(context.Background(), recs)
			if err != nil {
				return // the peer is gone
			}
			var ok []string
			for i, res := range resp.Results {
				if res.Status == "accepted" {
					ok = append(ok, ids[i])
				}
			}
			acked <- ok
		}
	}()
	// Kill it once submissions are under way: records of a batch
	// accepted, the next batch in flight.
	var orders []string
	timeout := time.After(30 * time.Second)
	for len(orders) == 0 {
		select {
		case ok := <-acked:
			orders = append(orders, ok...)
		case <-stopped:
			t.Fatal("the submitter stopped before a record was accepted")
		case <-timeout:
			t.Fatal("no record was accepted within 30 s")
		}
	}
	tax.kill()
	<-stopped
	close(acked)
	for ok := range acked {
		orders = append(orders, ok...)
	}
	if len(orders) == 0 {
		t.Fatal("nothing was acknowledged before the kill")
	}

	tax.start(t)
	want := map[string]bool{}
	for _, id := range orders {
		l := privacy.Lookup("e2e-net", id)
		want["01"+hex.EncodeToString(l[:])] = true
	}
	eventually(t, 30*time.Second, "the bank holds every acknowledged record", func() bool {
		st := status(t, tax)
		h := heightOf(st, "Tax Bureau")
		if st.Pending > 0 || heightOf(status(t, bank), "Tax Bureau") != h {
			return false
		}
		return chainHolds(t, bank, st, h, want)
	})
	t.Logf("%d records acknowledged before SIGKILL, all present after restart", len(orders))
}
