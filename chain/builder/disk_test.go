package builder_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/chain/store/diskspace"
)

// A disk with no room even for sealing: the store refuses the sealed
// batch, the builder keeps the entries pending and goes on running, new
// submissions are refused for space, and once space returns the same
// entries are sealed, at the height that was refused.
func TestSealingWaitsForDiskSpace(t *testing.T) {
	var avail atomic.Int64
	avail.Store(1 << 40)
	st, err := store.Open(t.TempDir(), store.Options{
		MinFreeBytes: 64 << 20, ReplicaMinFreeBytes: 32 << 20,
		Statfs: func(string) (diskspace.Usage, error) {
			return diskspace.Usage{AvailBytes: uint64(avail.Load()), TotalBytes: 1 << 41}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := builder.New(builder.Config{Params: params(), Members: chaintest.Members(1), Key: chaintest.Key(0), Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, st: st, b: b, cancel: cancel, runErr: make(chan error, 1)}
	go func() { h.runErr <- b.Run(ctx) }()
	defer h.stop()

	for i, err := range h.submit(events(0, 5)) {
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	avail.Store(1 << 19)
	if err := b.Flush(ctx); err != nil {
		t.Fatalf("flush on a full disk: %v", err)
	}
	if b.Pending() != 5 {
		t.Fatalf("%d pending after a refused seal, want 5", b.Pending())
	}
	select {
	case blk := <-b.Sealed():
		t.Fatalf("block %d handed out though the store refused it", blk.Height)
	case err := <-h.runErr:
		t.Fatalf("Run stopped on a full disk: %v", err)
	default:
	}
	if errs := h.submit(events(5, 1)); !errors.Is(errs[0], store.ErrDiskFull) {
		t.Fatalf("submission on a full disk: %v", errs[0])
	}

	avail.Store(1 << 40)
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	blk := h.next()
	if blk.Height != 1 || len(blk.Entries) != 5 || b.Pending() != 0 {
		t.Fatalf("after space returned: block %d with %d entries, %d pending", blk.Height, len(blk.Entries), b.Pending())
	}
	if head := st.Head(b.Issuer()); head == nil || head.Hash != blk.Hash {
		t.Fatalf("store head %v, want the sealed block", head)
	}
	for i, err := range h.submit(events(5, 1)) {
		if err != nil {
			t.Fatalf("entry %d after space returned: %v", i, err)
		}
	}
}
