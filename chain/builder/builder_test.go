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

type harness struct {
	t      *testing.T
	st     *store.Store
	b      *builder.Builder
	cancel context.CancelFunc
	runErr chan error
}

func params() chain.Params {
	p := chaintest.Params()
	p.MaxBlockEntries = 10
	p.BlockInterval = time.Hour // tests seal by size or Flush unless they say otherwise
	return p
}

func start(t *testing.T, dir string, p chain.Params) *harness {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := builder.New(builder.Config{Params: p, Members: chaintest.Members(1), Key: chaintest.Key(0), Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, st: st, b: b, cancel: cancel, runErr: make(chan error, 1)}
	go func() { h.runErr <- b.Run(ctx) }()
	return h
}

func (h *harness) stop() {
	h.cancel()
	for range h.b.Sealed() {
	}
	if err := <-h.runErr; err != nil {
		h.t.Fatal(err)
	}
	h.st.Close()
}

func events(from, n int) []*chainpb.Entry {
	out := make([]*chainpb.Entry, n)
	for i := range out {
		out[i] = &chainpb.Entry{Body: &chainpb.Entry_CreditEvent{CreditEvent: chaintest.CreditEvent(from + i)}}
	}
	return out
}

func (h *harness) submit(entries []*chainpb.Entry) []error {
	h.t.Helper()
	errs, err := h.b.Submit(context.Background(), entries)
	if err != nil {
		h.t.Fatal(err)
	}
	return errs
}

func (h *harness) next() *chain.Block {
	h.t.Helper()
	select {
	case b := <-h.b.Sealed():
		return b
	case <-time.After(10 * time.Second):
		h.t.Fatal("no block sealed")
		return nil
	}
}

func accepted(t *testing.T, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("entry %d refused: %v", i, err)
		}
	}
}

func TestSealsFullBlocksAndFlushesTheRest(t *testing.T) {
	h := start(t, t.TempDir(), params())
	defer h.stop()
	accepted(t, h.submit(events(0, 25)))
	b1, b2 := h.next(), h.next()
	if b1.Height != 1 || b2.Height != 2 || len(b1.Entries) != 10 || len(b2.Entries) != 10 {
		t.Fatalf("sealed %d/%d and %d/%d", b1.Height, len(b1.Entries), b2.Height, len(b2.Entries))
	}
	if err := h.b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	b3 := h.next()
	if b3.Height != 3 || len(b3.Entries) != 5 || b3.PrevHash != b2.Hash {
		t.Fatalf("flushed block %d with %d entries", b3.Height, len(b3.Entries))
	}
	// What was handed out is what the store holds, and it validates.
	var head *chain.SignedHeader
	for _, b := range []*chain.Block{b1, b2, b3} {
		stored, err := h.st.Block(h.b.Issuer(), b.Height)
		if err != nil || stored.Hash != b.Hash {
			t.Fatalf("block %d not stored as published: %v", b.Height, err)
		}
		if _, err := chain.ValidateBlock(b, head, chaintest.Members(1), params(), time.Now()); err != nil {
			t.Fatalf("block %d: %v", b.Height, err)
		}
		head = b.SignedHeader
	}
}

func TestRefusesDuplicatesAndInvalidEntries(t *testing.T) {
	h := start(t, t.TempDir(), params())
	defer h.stop()
	accepted(t, h.submit(events(0, 3)))
	bad := events(100, 1)[0]
	bad.GetCreditEvent().Currency = "ZZZ"
	errs := h.submit([]*chainpb.Entry{events(1, 1)[0], events(50, 1)[0], events(50, 1)[0], bad})
	if !errors.Is(errs[0], builder.ErrDuplicate) {
		t.Errorf("pending duplicate: %v", errs[0])
	}
	if errs[1] != nil || !errors.Is(errs[2], builder.ErrDuplicate) {
		t.Errorf("duplicate within one submission: %v, %v", errs[1], errs[2])
	}
	if !errors.Is(errs[3], chain.ErrBadEntry) {
		t.Errorf("invalid entry: %v", errs[3])
	}
	if err := h.b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b := h.next(); len(b.Entries) != 4 {
		t.Fatalf("block has %d entries, want 4", len(b.Entries))
	}
	// Sealed keys stay taken.
	if errs := h.submit(events(2, 1)); !errors.Is(errs[0], builder.ErrDuplicate) {
		t.Errorf("sealed duplicate: %v", errs[0])
	}
	// A payment's duplicate is its order ID again, however it is sealed.
	pay := func() *chainpb.Entry {
		e, err := chain.SealPayment(chaintest.NetworkID, chaintest.Issuer(0), chaintest.PaymentRecord(0, 7))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	accepted(t, h.submit([]*chainpb.Entry{pay()}))
	if errs := h.submit([]*chainpb.Entry{pay()}); !errors.Is(errs[0], builder.ErrDuplicate) {
		t.Errorf("payment with a used order ID: %v", errs[0])
	}
}

func TestSealsAfterTheInterval(t *testing.T) {
	p := params()
	p.BlockInterval = 20 * time.Millisecond
	h := start(t, t.TempDir(), p)
	defer h.stop()
	accepted(t, h.submit(events(0, 3)))
	if b := h.next(); len(b.Entries) != 3 {
		t.Fatalf("interval block has %d entries", len(b.Entries))
	}
}

func TestPendingSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	h := start(t, dir, params())
	accepted(t, h.submit(events(0, 14)))
	first := h.next()
	h.stop()

	h = start(t, dir, params())
	defer h.stop()
	if errs := h.submit(events(12, 1)); !errors.Is(errs[0], builder.ErrDuplicate) {
		t.Fatalf("a pending entry's key was forgotten across the restart: %v", errs[0])
	}
	if err := h.b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := h.next()
	if b.Height != 2 || b.PrevHash != first.Hash || len(b.Entries) != 4 {
		t.Fatalf("after restart sealed block %d with %d entries", b.Height, len(b.Entries))
	}
}

func TestConcurrentSubmittersShareCommits(t *testing.T) {
	h := start(t, t.TempDir(), params())
	defer h.stop()
	const workers, each = 16, 20
	var wg sync.WaitGroup
	errc := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				errs, err := h.b.Submit(context.Background(), events(w*1000+i, 1))
				if err == nil {
					err = errs[0]
				}
				errc <- err
			}
		}()
	}
	got := 0
	done := make(chan struct{})
	go func() {
		for b := range h.b.Sealed() {
			got += len(b.Entries)
			if got == workers*each {
				close(done)
			}
		}
	}()
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("sealed %d of %d entries", got, workers*each)
	}
}

// A negative credit event whose expiry has passed (or is now) is refused
// at submission, naming the expiry; one expiring later, and an event that
// does not expire, are accepted in the same submission.
func TestRefusesAnExpiryInThePast(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := chaintest.Epoch.AddDate(5, 0, 0).Add(time.Hour) // after CreditEvent(3)'s expiry
	b, err := builder.New(builder.Config{Params: params(), Members: chaintest.Members(1), Key: chaintest.Key(0), Store: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.Run(ctx)
	expired := events(3, 1)[0] // overdue, expires five years after the epoch
	atNow := events(7, 1)[0]
	atNow.GetCreditEvent().ExpiresAtMs = now.UnixMilli()
	later := events(11, 1)[0]
	later.GetCreditEvent().OccurredAtMs = now.UnixMilli()
	later.GetCreditEvent().ExpiresAtMs = now.AddDate(1, 0, 0).UnixMilli()
	replace := &chainpb.Entry{Body: &chainpb.Entry_Correction{Correction: &chainpb.Correction{
		CorrectionId: "FIX-1", TargetKey: chain.EntryKey(expired), Action: chainpb.CorrectionAction_CORRECTION_ACTION_REPLACE,
		Reason: "days overdue corrected", Replacement: events(3, 1)[0],
	}}}
	errs, err := b.Submit(ctx, []*chainpb.Entry{expired, atNow, later, events(0, 1)[0], replace})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, true, false, false, true} {
		if got := errors.Is(errs[i], builder.ErrExpired); got != want {
			t.Fatalf("entry %d: %v, want refused as expired: %v", i, errs[i], want)
		}
	}
	if !strings.Contains(errs[0].Error(), "2031-11-01T08:03:00Z") {
		t.Fatalf("the refusal does not name the expiry: %v", errs[0])
	}
}
