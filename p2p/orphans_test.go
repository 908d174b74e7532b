package p2p_test

import (
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/p2p"
)

// Block 3 of a chain gossiped before block 2 waits for it and is stored
// as soon as block 2 is: both by gossip, none by sync. (The wait is long
// here, so that a slow machine does not turn it into a sync.)
func TestBlockBeforeItsParentWaitsForIt(t *testing.T) {
	a := startPeer(t, 0, "", nil, func(c *p2p.Config) { c.OrphanWait = time.Minute })
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
