package node_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/records"
)

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// A member alone among the members of a larger genesis signs nothing: it
// refuses records with ErrBusy (HTTP 503) "recovering own chain from the
// network" and says so in its status, until another member has answered.
func TestMemberRecoversBeforeSigning(t *testing.T) {
	net, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "recovery-test", Members: devnet.DefaultMembers[:2]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { net.Stop() })
	if err := net.StartPeer(0); err != nil {
		t.Fatal(err)
	}
	tax := net.Node(0)
	_, err = tax.Submit(context.Background(), []records.Record{records.SamplePayment("tax", 1, 10)})
	if !errors.Is(err, api.ErrBusy) || !strings.Contains(err.Error(), "recovering own chain from the network") {
		t.Fatalf("submit while recovering: %v", err)
	}
	if r := tax.Status().Recovery; r == nil || r.State != node.OwnRecovering || r.Needed != 1 || r.Answered != 0 {
		t.Fatalf("status while recovering: %+v", r)
	}
	if err := net.StartPeer(1); err != nil {
		t.Fatal(err)
	}
	if err := net.WaitReady(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	if r := tax.Status().Recovery; r.State != node.OwnSealing || r.Answered != 1 || r.Runs != 1 {
		t.Fatalf("status after recovery: %+v", r)
	}
	errs, err := tax.Submit(context.Background(), []records.Record{records.SamplePayment("tax", 1, 10)})
	if err != nil || errs[0] != nil {
		t.Fatalf("submit after recovery: %v %v", err, errs)
	}
}

// A genesis of one member has nobody to recover from: the peer refuses to
// start unless told to trust its store, and says what that risks.
func TestSingleMemberNeedsTrustLocalChain(t *testing.T) {
	net, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "lone-test", Members: devnet.DefaultMembers[:1]})
	if err != nil {
		t.Fatal(err)
	}
	o, err := node.LoadOptions(net.Homes[0])
	if err != nil {
		t.Fatal(err)
	}
	o.NoAPI, o.InMemoryStore = true, true
	if _, err := node.New(o); err == nil || !strings.Contains(err.Error(), "--trust-local-chain") || !strings.Contains(err.Error(), "fork") {
		t.Fatalf("a lone member without --trust-local-chain: %v", err)
	}
	o.Config.Recovery.MinAnswers = 2
	o.TrustLocalChain = true
	n, err := node.New(o)
	if err != nil {
		t.Fatalf("a lone member trusting its store: %v", err)
	}
	if n.OwnChainState() != node.OwnSealing {
		t.Fatalf("a trusted lone member is %s", n.OwnChainState())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Evidence against our own key in the store (found in an earlier run)
// halts sealing at start: records are refused, the status says so, and
// the ERROR is logged once.
func TestEvidenceAgainstOwnKeyHaltsSealing(t *testing.T) {
	net, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "halt-test", Members: devnet.DefaultMembers[:1]})
	if err != nil {
		t.Fatal(err)
	}
	o, err := node.LoadOptions(net.Homes[0])
	if err != nil {
		t.Fatal(err)
	}
	id := o.Genesis.NetworkID()
	a, err := chain.NewBlock(id, nil, [][]byte{[]byte("one")}, o.Key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, err := chain.NewBlock(id, nil, [][]byte{[]byte("two")}, o.Key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(o.Home.DataDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveEvidence(chain.NewEvidence(a.SignedHeader, b.SignedHeader)); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var logs syncBuffer
	o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	o.NoAPI, o.TrustLocalChain = true, true
	n, err := node.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	waitUntil(t, "sealing is halted", func() bool { return n.OwnChainState() == node.OwnHalted })
	_, err = n.Submit(ctx, []records.Record{records.SamplePayment("tax", 1, 10)})
	if !errors.Is(err, api.ErrBusy) || !strings.Contains(err.Error(), "sealing halted: evidence against our own key") {
		t.Fatalf("submit while halted: %v", err)
	}
	if r := n.Status().Recovery; r.State != node.OwnHalted || !strings.Contains(r.Message, "evidence against our own key") {
		t.Fatalf("status while halted: %+v", r)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c := strings.Count(logs.String(), "level=ERROR msg=\"sealing halted"); c != 1 {
		t.Fatalf("the halt was logged at ERROR %d times:\n%s", c, logs.String())
	}
}
