package simnet

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/credmesh/credmesh/records"
)

// waitFor polls cond every 100 ms of virtual time for up to a virtual
// minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// A peer restarted on an empty in-memory store (the lost-disk case)
// recovers its own chain from the others before it signs, in virtual
// time: it continues its chain where it was, the records it takes then
// reach everyone, and nobody records a fork.
func TestRestartedInMemoryPeerRecoversItsChain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		link := Link{Latency: 5 * time.Millisecond, UplinkBps: 100e6, DownlinkBps: 100e6}
		specs := make([]PeerSpec, 4)
		for i := range specs {
			specs[i].Link = link
		}
		fullBootstrap(specs)
		n, err := NewNet(NetConfig{Peers: specs, Params: (&Scenario{Chain: ChainSpec{BlockInterval: Duration(200 * time.Millisecond)}}).genesisParams(), Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
		peers := n.Peers()
		waitFor(t, "every peer has recovered its chain", func() bool {
			for _, p := range peers {
				if !p.Ready() {
					return false
				}
			}
			return true
		})
		issuer := peers[0].Issuer
		submit := func(first int) uint64 {
			t.Helper()
			var recs []records.Record
			for i := range 50 {
				recs = append(recs, records.SamplePayment(peers[0].Spec.Name, first+i, 10))
			}
			dateBefore(recs, time.Now()) // the bubble's clock starts in 2000
			errs, err := peers[0].Submit(context.Background(), recs)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range errs {
				if e != nil {
					t.Fatalf("record %d refused: %v", i, e)
				}
			}
			var height uint64
			waitFor(t, "the records reach every peer", func() bool {
				if peers[0].Node().Pending() > 0 {
					return false
				}
				h := peers[0].Store().Head(issuer)
				for _, p := range peers[1:] {
					if got := p.Store().Head(issuer); got == nil || h == nil || got.Hash != h.Hash {
						return false
					}
				}
				height = h.Height
				return true
			})
			return height
		}
		submit(0)
		before := submit(50)

		if err := peers[0].Stop(); err != nil {
			t.Fatal(err)
		}
		if err := peers[0].Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the restarted peer has recovered its chain", peers[0].Ready)
		if h := peers[0].Store().Head(issuer); h == nil || h.Height != before {
			t.Fatalf("recovered head %v, want height %d", h, before)
		}
		if r := peers[0].Node().Status().Recovery; r.Blocks != int(before) || r.State != "sealing" {
			t.Fatalf("recovery after the restart: %+v, want %d blocks recovered", r, before)
		}
		if after := submit(100); after <= before {
			t.Fatalf("head %d after the restart, was %d", after, before)
		}
		for _, p := range peers {
			if f := p.Network().Forked(); len(f) != 0 {
				t.Fatalf("peer %d records forks: %v", p.Index, f)
			}
		}
	})
}
