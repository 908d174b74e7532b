package builder_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
)

func startHeld(t *testing.T, dir string) *harness {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := builder.New(builder.Config{Params: params(), Members: chaintest.Members(1), Key: chaintest.Key(0), Store: st, Held: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, st: st, b: b, cancel: cancel, runErr: make(chan error, 1)}
	go func() { h.runErr <- b.Run(ctx) }()
	return h
}

func (h *harness) noBlock() {
	h.t.Helper()
	select {
	case b := <-h.b.Sealed():
		h.t.Fatalf("a held builder sealed block %d", b.Height)
	default:
	}
	if head := h.st.Head(h.b.Issuer()); head != nil {
		h.t.Fatalf("a held builder's chain has block %d", head.Height)
	}
}

// A held builder accepts entries but seals nothing, not even on Flush
// (the entries stay in the durable pool), until Resume.
func TestHeldBuilderSealsNothingUntilResume(t *testing.T) {
	h := startHeld(t, t.TempDir())
	defer h.stop()
	accepted(t, h.submit(events(0, 25)))
	if err := h.b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.noBlock()
	if h.b.Pending() != 25 {
		t.Fatalf("pending %d, want 25", h.b.Pending())
	}
	if err := h.b.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b1, b2 := h.next(), h.next(); b1.Height != 1 || b2.Height != 2 {
		t.Fatalf("after Resume sealed %d and %d", b1.Height, b2.Height)
	}
	// Hold again: the five left stay pending through a Flush.
	if err := h.b.Hold(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := h.b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if head := h.st.Head(h.b.Issuer()); head.Height != 2 || h.b.Pending() != 5 {
		t.Fatalf("held again: head %d, pending %d", head.Height, h.b.Pending())
	}
}

// copyDir copies a closed store's directory, as a backup would.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	return to
}

// recoverInto appends blocks 1..upTo of the chain in src to the store of
// h, as recovery does with blocks the network holds.
func recoverInto(t *testing.T, h *harness, src string, upTo uint64) {
	t.Helper()
	st, err := store.Open(src, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	head := h.st.Head(h.b.Issuer())
	for height := uint64(1); height <= upTo; height++ {
		b, err := st.Block(h.b.Issuer(), height)
		if err != nil {
			t.Fatal(err)
		}
		if head != nil && b.Height <= head.Height {
			continue
		}
		vb, err := chain.ValidateBlock(b, head, chaintest.Members(1), params(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := h.st.Append(vb); err != nil {
			t.Fatal(err)
		}
		head = b.SignedHeader
	}
}

// A store restored from a backup taken while 30 entries were pending,
// after which they were sealed into three blocks: once recovery has put
// blocks 1 and 2 back, Resume continues on block 2, drops the 20 entries
// they hold and seals only the other 10, as block 3 after block 2; the
// dropped entries' keys stay taken.
func TestResumeContinuesTheRecoveredChainAndDropsItsEntries(t *testing.T) {
	live := t.TempDir()
	h := startHeld(t, live)
	accepted(t, h.submit(events(0, 30)))
	h.stop()
	backup := copyDir(t, live)

	h = start(t, live, params()) // the original goes on and seals them
	if err := h.b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.stop()

	h = startHeld(t, backup)
	if h.b.Pending() != 30 {
		t.Fatalf("the backup holds %d pending, want 30", h.b.Pending())
	}
	recoverInto(t, h, live, 2)
	if err := h.b.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Pending is not checked here: the 10 left make a full block, which may
	// be sealed before Pending is read. Block 3 below shows which 10 they are.
	if errs := h.submit(events(5, 1)); !errors.Is(errs[0], builder.ErrDuplicate) {
		t.Fatalf("an entry of a recovered block was accepted again: %v", errs[0])
	}
	b3 := h.next()
	two, err := h.st.Header(h.b.Issuer(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if b3.Height != 3 || b3.PrevHash != two.Hash || len(b3.Entries) != 10 {
		t.Fatalf("sealed block %d with %d entries after the recovered head", b3.Height, len(b3.Entries))
	}
	for i, data := range b3.Entries {
		e, err := chain.DecodeEntry(data, params().MaxEntryBytes)
		if err != nil || e.GetCreditEvent().EventId != events(20+i, 1)[0].GetCreditEvent().EventId {
			t.Fatalf("block 3 entry %d is not entry %d: %v", i, 20+i, err)
		}
	}
	h.stop()
}

// Entries pooled in a restored store that the recovered chain holds are
// dropped when the builder loads them, too: nothing is pending after a
// restart even before Resume.
func TestDroppedEntriesStayDroppedAcrossRestarts(t *testing.T) {
	live := t.TempDir()
	h := startHeld(t, live)
	accepted(t, h.submit(events(0, 20)))
	h.stop()
	backup := copyDir(t, live)
	h = start(t, live, params())
	if err := h.b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.stop()

	h = startHeld(t, backup)
	recoverInto(t, h, live, 2)
	if err := h.b.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h.b.Pending() != 0 {
		t.Fatalf("%d pending after Resume, want 0", h.b.Pending())
	}
	h.stop()
	h = startHeld(t, backup)
	defer h.stop()
	if h.b.Pending() != 0 {
		t.Fatalf("%d pending after a restart, want 0", h.b.Pending())
	}
	h.noBlockAbove(2)
}

func (h *harness) noBlockAbove(height uint64) {
	h.t.Helper()
	if head := h.st.Head(h.b.Issuer()); head == nil || head.Height != height {
		h.t.Fatalf("head %v, want %d", head, height)
	}
}
