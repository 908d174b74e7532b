package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/records"
)

// A peer without its HTTP API and with an in-memory store (how simnet runs
// peers) runs, seals what it accepts and stops cleanly.
func TestRunWithoutAPI(t *testing.T) {
	net, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "noapi-test", Members: devnet.DefaultMembers[:1]})
	if err != nil {
		t.Fatal(err)
	}
	o, err := node.LoadOptions(net.Homes[0])
	if err != nil {
		t.Fatal(err)
	}
	o.NoAPI, o.InMemoryStore = true, true
	o.TrustLocalChain = true // a genesis of one member: nobody to recover from
	n, err := node.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if n.APIAddr() != "" {
		t.Fatalf("a node without an API has API address %q", n.APIAddr())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	errs, err := n.Submit(ctx, []records.Record{records.SamplePayment("tax", 1, 10)})
	if err != nil || errs[0] != nil {
		t.Fatalf("submit: %v %v", err, errs)
	}
	deadline := time.Now().Add(10 * time.Second)
	for n.Pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if h := n.Store().Head(n.Issuer()); h == nil || h.Height != 1 {
		t.Fatalf("the record was not sealed: head %v", h)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
