package main_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/records"
)

// A peer stopped with SIGTERM twenty times, each at a random moment while
// records are submitted to it and looked up on it, while another member
// gossips it blocks and sends it credit queries (whose receipts it writes),
// exits cleanly every time (status 0, no panic) and loses nothing it
// acknowledged.
func TestSIGTERMUnderLoadLosesNothing(t *testing.T) {
	peers := setupNetwork(t, "Tax Bureau", "Bank A")
	tax, bank := peers[0], peers[1]
	bank.start(t)
	bankDone := make(chan struct{})
	var bankWG sync.WaitGroup
	bankWG.Add(2)
	go func() { // the bank's own records reach the tax bureau by gossip
		defer bankWG.Done()
		c := bank.client()
		for n := 0; ; n += 20 {
			select {
			case <-bankDone:
				return
			default:
			}
			var recs []records.Record
			for i := range 20 {
				recs = append(recs, records.SamplePayment("bank", n+i, 100))
			}
			c.Submit(context.Background(), recs)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	go func() { // the bank's credit reports query the tax bureau
		defer bankWG.Done()
		c := bank.client()
		for n := 0; ; n++ {
			select {
			case <-bankDone:
				return
			default:
			}
			req := api.ReportRequest{
				Subject:    records.Subject{Kind: "resident_id", ID: records.SampleResidentID(n % 100)},
				Purpose:    "loan_application",
				ConsentRef: fmt.Sprintf("C-%d", n),
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			c.Report(ctx, req)
			cancel()
		}
	}()
	defer func() {
		close(bankDone)
		bankWG.Wait()
	}()

	var (
		mu    sync.Mutex
		acked []string
		next  int
	)
	for round := range 20 {
		tax.start(t)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { // submitter: keeps going through refusals and errors
			defer wg.Done()
			c := tax.client()
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				first := next
				next += 50
				mu.Unlock()
				var recs []records.Record
				for i := range 50 {
					recs = append(recs, records.SamplePayment("tax", first+i, 100))
				}
				resp, err := c.Submit(context.Background(), recs)
				if err != nil {
					continue
				}
				mu.Lock()
				for i, res := range resp.Results {
					if res.Status == "accepted" {
						acked = append(acked, recs[i].OrderID)
					}
				}
				mu.Unlock()
			}
		}()
		go func() { // reader: local lookups of what was accepted
			defer wg.Done()
			c := tax.client()
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				var id string
				if len(acked) > 0 {
					id = acked[rand.IntN(len(acked))]
				}
				mu.Unlock()
				if id != "" {
					c.Payment(context.Background(), id)
				}
			}
		}()
		time.Sleep(time.Duration(rand.IntN(1200)) * time.Millisecond) // the random moment
		took := sigterm(t, tax)                                       // fails the test unless the peer exits with status 0
		close(stop)
		wg.Wait()
		if took > 15*time.Second || strings.Contains(tax.log.String(), "panic") {
			t.Fatalf("round %d: SIGTERM took %s:\n%s", round, took, tail(tax.log.String()))
		}
	}
	mu.Lock()
	orders := append([]string(nil), acked...)
	mu.Unlock()
	if len(orders) == 0 {
		t.Fatal("nothing was acknowledged in twenty rounds")
	}

	tax.start(t)
	want := map[string]bool{}
	for _, id := range orders {
		l := privacy.Lookup("e2e-net", id)
		want["01"+hex.EncodeToString(l[:])] = true
	}
	eventually(t, 60*time.Second, "the bank holds every acknowledged record", func() bool {
		st := status(t, tax)
		h := heightOf(st, "Tax Bureau")
		if st.Pending > 0 || heightOf(status(t, bank), "Tax Bureau") != h {
			return false
		}
		return chainHolds(t, bank, st, h, want)
	})
	t.Logf("%d records acknowledged across 20 SIGTERMs, all present", len(orders))
}
