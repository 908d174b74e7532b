package builder_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
)

// clock is a settable clock for a builder.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// startAs runs the builder of key 0 in a network of the given members, on
// clk.
func startAs(t *testing.T, dir string, members chain.Members, clk *clock) *harness {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := builder.New(builder.Config{Params: params(), Members: members, Key: chaintest.Key(0), Store: st, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, st: st, b: b, cancel: cancel, runErr: make(chan error, 1)}
	go func() { h.runErr <- b.Run(ctx) }()
	return h
}

// roles: we (0) answer and ask credit queries; 1 only asks; 2 only writes
// payments.
func roles() chain.Members {
	return chain.Members{
		chaintest.Issuer(0): chain.RoleCredit | chain.RoleQuery,
		chaintest.Issuer(1): chain.RoleQuery,
		chaintest.Issuer(2): chain.RolePayments,
	}
}

func receipt(querier, n int) *chainpb.Entry {
	return chaintest.ReceiptEntry(chaintest.Receipt(querier, n))
}

// The submitting peer refuses, per entry and saying why, what every
// replica would reject: entries outside the issuer's roles, receipts of
// queries by members without the query role, receipts with a fee other
// than the genesis's.
func TestSubmitRefusesEntriesOutsideTheRoles(t *testing.T) {
	clk := &clock{t: chaintest.Epoch.Add(time.Hour)}
	h := startAs(t, t.TempDir(), roles(), clk)
	defer h.stop()
	pay, err := chain.SealPayment(chaintest.NetworkID, chaintest.Issuer(0), chaintest.PaymentRecord(0, 1))
	if err != nil {
		t.Fatal(err)
	}
	wrongFee := chaintest.ReceiptEntry(chaintest.ReceiptOf(chaintest.Query(1, 3), chaintest.Key(1), 1, "CNY"))
	errs := h.submit([]*chainpb.Entry{pay, events(0, 1)[0], receipt(1, 1), receipt(2, 2), wrongFee})
	if !errors.Is(errs[0], chain.ErrNoRole) || !strings.Contains(errs[0].Error(), "payments are written only by members with the payments role; this member has credit,query") {
		t.Errorf("a payment of a credit member: %v", errs[0])
	}
	if errs[1] != nil || errs[2] != nil {
		t.Errorf("a credit event and a receipt of a query member's query: %v, %v", errs[1], errs[2])
	}
	if !errors.Is(errs[3], chain.ErrNoRole) || !strings.Contains(errs[3].Error(), "not a member with the query role; it has payments") {
		t.Errorf("a receipt of a payments member's query: %v", errs[3])
	}
	if !errors.Is(errs[4], chain.ErrBadEntry) || !strings.Contains(errs[4].Error(), "fee_minor") {
		t.Errorf("a receipt with another fee: %v", errs[4])
	}
	if err := h.b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := h.next()
	if len(b.Entries) != 2 {
		t.Fatalf("sealed %d entries, want 2", len(b.Entries))
	}
	if _, err := chain.ValidateBlock(b, nil, roles(), params(), clk.now()); err != nil {
		t.Fatalf("the sealed block does not validate: %v", err)
	}
}

// A chain holds one receipt per querier and query ID: asking again with
// the same query is a duplicate (answered, charged once); another query
// under the same ID is refused, whether the first receipt is pooled,
// sealed, or pooled before a restart.
func TestOneReceiptPerQuerierAndQueryID(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: chaintest.Epoch.Add(time.Hour)}
	h := startAs(t, dir, roles(), clk)
	other := func(n int) *chainpb.Entry { // query n of member 1, about another subject
		q := chaintest.Query(1, n)
		q.SubjectRef = chaintest.Ref(900 + n)
		return chaintest.ReceiptEntry(chaintest.ReceiptOf(q, chaintest.Key(1), chaintest.FeeMinor, chaintest.FeeCurrency))
	}
	// In one submission: the second query under ID 1 is refused.
	errs := h.submit([]*chainpb.Entry{receipt(1, 1), other(1), receipt(1, 2)})
	if errs[0] != nil || !errors.Is(errs[1], builder.ErrQueryIDUsed) || errs[2] != nil {
		t.Fatalf("one submission: %v", errs)
	}
	// Pooled.
	errs = h.submit([]*chainpb.Entry{receipt(1, 1), other(2)})
	if !errors.Is(errs[0], builder.ErrDuplicate) || !errors.Is(errs[1], builder.ErrQueryIDUsed) {
		t.Fatalf("pooled: %v", errs)
	}
	if !strings.Contains(errs[1].Error(), "query ID already used") || !strings.Contains(errs[1].Error(), "Q-0000000002") {
		t.Fatalf("the refusal does not say why: %v", errs[1])
	}
	// Sealed.
	if err := h.b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.next()
	errs = h.submit([]*chainpb.Entry{receipt(1, 2), other(1), receipt(1, 3)})
	if !errors.Is(errs[0], builder.ErrDuplicate) || !errors.Is(errs[1], builder.ErrQueryIDUsed) || errs[2] != nil {
		t.Fatalf("sealed: %v", errs)
	}
	// Pooled, then a restart.
	h.stop()
	h = startAs(t, dir, roles(), clk)
	defer h.stop()
	if errs := h.submit([]*chainpb.Entry{other(3)}); !errors.Is(errs[0], builder.ErrQueryIDUsed) {
		t.Fatalf("after a restart: %v", errs[0])
	}
	// Another querier's query ID is its own.
	q := chaintest.Query(0, 1)
	own := chaintest.ReceiptEntry(chaintest.ReceiptOf(q, chaintest.Key(0), 0, ""))
	accepted(t, h.submit([]*chainpb.Entry{own}))
}

// A receipt's query may be at most chain.MaxQueryAge after its block: the
// builder refuses one from further ahead of its clock, and when its clock
// goes back after accepting a receipt, the block still takes a time every
// replica accepts.
func TestReceiptTimeAndAClockThatGoesBack(t *testing.T) {
	queried := time.UnixMilli(chaintest.Query(1, 1).TimeMs)
	clk := &clock{t: queried.Add(-chain.MaxQueryAge - time.Second)}
	h := startAs(t, t.TempDir(), roles(), clk)
	defer h.stop()
	if errs := h.submit([]*chainpb.Entry{receipt(1, 1)}); !errors.Is(errs[0], chain.ErrBadEntry) {
		t.Fatalf("a query from beyond our clock: %v", errs[0])
	}
	clk.set(queried)
	accepted(t, h.submit([]*chainpb.Entry{receipt(1, 1)}))
	clk.set(queried.Add(-time.Hour))
	if err := h.b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := h.next()
	if _, err := chain.ValidateBlock(b, nil, roles(), params(), queried); err != nil {
		t.Fatalf("sealed at %s: %v", b.Time.UTC(), err)
	}
}
