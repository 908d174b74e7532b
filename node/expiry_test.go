package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/records"
)

// A bank's overdue event expires five years after it occurred: with every
// peer's clock moved past it, every peer prunes it (its block keeps the
// leaf hash: the block view shows the entry as pruned) and reports no
// longer show it.
func TestExpiredNegativeEventLeavesEveryPeer(t *testing.T) {
	ctx := context.Background()
	clock := new(movingClock)
	tune := func(i int, o *node.Options) {
		clock.tune(i, o)
		o.PruneInterval = 50 * time.Millisecond
	}
	net, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "expiry-test", Members: devnet.DefaultMembers[:3], Tune: tune})
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
	bankA, bankB := api.NewClient(net.Node(1).APIAddr(), ""), api.NewClient(net.Node(2).APIAddr(), "")
	events := records.SampleCreditEvents("bank-b", 0, 10) // the overdue event expires five years after it occurred
	if r, err := bankB.ImportCredit(ctx, events, true); err != nil || r.Accepted != 2 {
		t.Fatalf("import: %+v %v", r, err)
	}
	if err := net.WaitInSync(withTimeout(t, 20*time.Second), nil); err != nil {
		t.Fatal(err)
	}
	subject := *events[0].Subject
	report := func(consent string) *api.ReportView {
		t.Helper()
		rep, err := bankA.Report(ctx, api.ReportRequest{Subject: subject, Purpose: "loan_application", ConsentRef: consent})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	shows := func(rep *api.ReportView) bool {
		for _, m := range rep.Members {
			for _, e := range m.Events {
				if s, ok := e.Summary.(map[string]any); ok && s["event_id"] == events[1].EventID {
					return true
				}
			}
		}
		return false
	}
	if rep := report("C-1"); !shows(rep) || rep.Summary.WorstDaysOverdue == 0 {
		t.Fatalf("the overdue event before its expiry: %+v", rep.Summary)
	}

	clock.forward(5*366*24*time.Hour + 24*time.Hour)
	bankBID := net.Node(2).PeerID().String()
	held := func(c *api.Client) (live, pruned int) {
		st, err := c.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range st.Chains {
			if ch.Issuer != bankBID {
				continue
			}
			for h := uint64(1); h <= ch.Height; h++ {
				b, err := c.Block(ctx, bankBID, h)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range b.Entries {
					switch e.Kind {
					case "credit_event":
						live++
					case "pruned":
						pruned++
					}
				}
			}
		}
		return live, pruned
	}
	for i := range 3 {
		c := api.NewClient(net.Node(i).APIAddr(), "")
		waitUntil(t, "a peer prunes the expired event", func() bool {
			live, pruned := held(c)
			return live == 0 && pruned == 1
		})
	}
	if rep := report("C-2"); shows(rep) || rep.Summary.WorstDaysOverdue != 0 {
		t.Fatalf("a report after the expiry still shows the event: %+v", rep.Summary)
	}
}
