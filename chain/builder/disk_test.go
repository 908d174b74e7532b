package builder_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/chain/store/diskspace"
	"github.com/credmesh/credmesh/chain/store/storetest"
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

// The peer restarted on a disk with no room for its database, which the
// store opened read-only: the builder loads what is pending, keeps it
// pending when sealing is refused (ErrReadOnly is a disk-full refusal, not
// a failure), refuses submissions for space and goes on running; after a
// restart with room the same entries are sealed.
func TestBuilderOnReadOnlyStore(t *testing.T) {
	dir := t.TempDir()
	disk := storetest.NewDisk(vfs.Default, 1<<40)
	opts := store.Options{FS: disk.FS(), Statfs: disk.Statfs, MinFreeBytes: 64 << 20, ReplicaMinFreeBytes: 32 << 20, CacheBytes: 4 << 20}
	run := func() *harness {
		st, err := store.Open(dir, opts)
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
		return h
	}
	h := run()
	accepted(t, h.submit(events(0, 5)))
	h.stop()

	disk.SetAvail(0)
	h = run()
	if !h.st.ReadOnly() {
		t.Fatal("the store opened read-write on a disk with no room")
	}
	if h.b.Pending() != 5 {
		t.Fatalf("%d pending on the read-only store, want 5", h.b.Pending())
	}
	if err := h.b.Flush(context.Background()); err != nil {
		t.Fatalf("flush on a read-only store: %v", err)
	}
	if h.b.Pending() != 5 {
		t.Fatalf("%d pending after a refused seal, want 5", h.b.Pending())
	}
	if errs := h.submit(events(5, 1)); !errors.Is(errs[0], store.ErrDiskFull) {
		t.Fatalf("submission on a read-only store: %v", errs[0])
	}
	select {
	case blk := <-h.b.Sealed():
		t.Fatalf("block %d handed out by a read-only store", blk.Height)
	case err := <-h.runErr:
		t.Fatalf("Run stopped on a read-only store: %v", err)
	default:
	}
	h.stop()

	disk.SetAvail(1 << 40)
	h = run()
	defer h.stop()
	if err := h.b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if blk := h.next(); blk.Height != 1 || len(blk.Entries) != 5 {
		t.Fatalf("after the restart with room: block %d with %d entries", blk.Height, len(blk.Entries))
	}
}
