package node_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/records"
)

// The peer refuses a paid_at or occurred_at more than a day after its own
// clock (the Now option), not the machine's: a peer whose clock is 30 days
// ahead accepts a payment of 10 days from now and refuses one of 32.
func TestPeerRefusesTimesAfterItsClock(t *testing.T) {
	net, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "clock-test", Members: devnet.DefaultMembers[:1]})
	if err != nil {
		t.Fatal(err)
	}
	o, err := node.LoadOptions(net.Homes[0])
	if err != nil {
		t.Fatal(err)
	}
	ahead := time.Now().Add(30 * 24 * time.Hour)
	o.NoAPI, o.InMemoryStore, o.TrustLocalChain = true, true, true
	o.Now = func() time.Time { return ahead }
	n, err := node.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	at := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339) }
	soon, late := records.SamplePayment("tax", 1, 10), records.SamplePayment("tax", 2, 10)
	soon.PaidAt, late.PaidAt = at(10*24*time.Hour), at(32*24*time.Hour)
	errs, err := n.Submit(ctx, []records.Record{soon, late})
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil {
		t.Errorf("a paid_at before the peer's clock is refused: %v", errs[0])
	}
	if !errors.Is(errs[1], records.ErrInvalid) || !strings.Contains(errs[1].Error(), "paid_at") || !strings.Contains(errs[1].Error(), "in the future") {
		t.Errorf("a paid_at 2 days after the peer's clock: %v, want refused as in the future", errs[1])
	}

	event := records.SampleCreditEvents("bank-a", 1, 10)[0]
	event.OccurredAt = at(32 * 24 * time.Hour)
	errs, err = n.ImportCredit(ctx, []records.Record{event}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errs[0].Error(), "occurred_at") || !strings.Contains(errs[0].Error(), "in the future") {
		t.Errorf("an occurred_at 2 days after the peer's clock: %v, want refused as in the future", errs[0])
	}
}
