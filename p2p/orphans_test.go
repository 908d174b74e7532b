package p2p_test

import (
	"context"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/p2p"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Block 3 of a chain gossiped before block 2 waits for it and is stored
// as soon as block 2 is: both by gossip, none by sync. (The wait is long
// and the sender is never asked for the parent, so that a slow machine
// does not turn it into a sync.)
func TestBlockBeforeItsParentWaitsForIt(t *testing.T) {
	a := startPeer(t, 0, "", nil, func(c *p2p.Config) { c.OrphanWait, c.OrphanAsk = time.Minute, time.Hour })
	blocks := chaintest.BulkChain(5, nil, 0, 30, 10)
	r := newRogue(t, chaintest.Key(5), a)
	r.waitForMesh(t, a)
	r.publish(t, blocks[0])
	eventually(t, 10*time.Second, "member 0 stores block 1", func() bool { return heightOf(a, 5) == 1 })

	received := a.net.Stats().BlocksReceived
	r.publish(t, blocks[2])
	eventually(t, 10*time.Second, "member 0 has block 3 in its validator", func() bool {
		return a.net.Stats().BlocksReceived > received
	})
	r.publish(t, blocks[1])
	eventually(t, 10*time.Second, "member 0 stores blocks 2 and 3", func() bool { return heightOf(a, 5) == 3 })
	st := a.net.Stats()
	if st.SyncedBlocks != 0 || st.SyncFailures != 0 || st.OutOfOrder != 1 {
		t.Fatalf("synced %d blocks, %d sync failures, %d blocks out of order; want 0, 0, 1", st.SyncedBlocks, st.SyncFailures, st.OutOfOrder)
	}
	got, err := a.st.Block(chaintest.Issuer(5), 3)
	if err != nil || got.Hash != blocks[2].Hash {
		t.Fatalf("block 3: %v", err)
	}
}

// A block whose parent gossip never brings is not left to wait out
// OrphanWait: the member that sent it holds the parent, is asked for it
// by sync at once, and the block itself is then stored through gossip
// (so forwarded), long before the wait would have ended.
func TestOrphanAsksItsSenderForTheParentAtOnce(t *testing.T) {
	slow := func(c *p2p.Config) { c.OrphanWait, c.StatusInterval = time.Hour, time.Hour }
	a := startPeer(t, 0, "", nil, slow)
	b := startPeer(t, 1, "", []peer.AddrInfo{a.info()}, slow)
	awaitMeshes(t, 30*time.Second, 1, a, b)

	// Issuer 5's blocks 1 to 3 reach b's store directly, after the
	// status exchange of the connection; a holds block 1 only.
	blocks := chaintest.BulkChain(5, nil, 0, 30, 10)
	var head *chain.SignedHeader
	for i, blk := range blocks {
		vb, err := chain.ValidateBlock(blk, head, members, params(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := b.st.Append(vb); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := a.st.Append(vb); err != nil {
				t.Fatal(err)
			}
		}
		head = blk.SignedHeader
	}
	if err := b.net.Publish(context.Background(), blocks[2]); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "member 0 stores blocks 2 and 3", func() bool { return heightOf(a, 5) == 3 })
	st := a.net.Stats()
	if st.SyncedBlocks != 1 || st.OutOfOrder != 1 || st.SyncFailures != 0 {
		t.Fatalf("synced %d blocks, %d blocks out of order, %d sync failures; want 1 (the parent), 1 (block 3, by gossip), 0", st.SyncedBlocks, st.OutOfOrder, st.SyncFailures)
	}
}
