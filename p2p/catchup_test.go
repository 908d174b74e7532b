package p2p_test

import (
	"context"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/libp2p/go-libp2p/core/peer"
)

// A member started after 100,000 records were published catches up by sync
// alone. The rate is logged for docs/BENCHMARKS.md.
func TestLateJoinerCatchesUp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 100,000 records; skipped with -short")
	}
	ctx := context.Background()
	const records = 100_000
	per := chaintest.PerBlock()
	blocks := (records + per - 1) / per
	a := startPeer(t, 0, "", nil)
	b := startPeer(t, 1, "", []peer.AddrInfo{a.info()})
	a.seal(ctx, blocks, per)
	b.seal(ctx, 10, per)
	eventually(t, 60*time.Second, "member 1 holds member 0's chain", func() bool { return heightOf(b, 0) == uint64(blocks) })

	start := time.Now()
	late := startPeer(t, 2, "", []peer.AddrInfo{b.info()})
	eventually(t, 120*time.Second, "the late joiner holds both chains", func() bool {
		return heightOf(late, 0) == uint64(blocks) && heightOf(late, 1) == 10
	})
	took := time.Since(start)
	total := (blocks + 10) * per
	t.Logf("late joiner caught up %d records in %s: %.0f records/s (sync stored %d blocks)",
		total, took.Round(time.Millisecond), float64(total)/took.Seconds(), late.net.Stats().SyncedBlocks)
	if s := late.net.Stats(); s.SyncedBlocks != uint64(blocks+10) {
		t.Fatalf("the late joiner stored %d blocks through sync, want all %d (nothing was published after it joined)", s.SyncedBlocks, blocks+10)
	}
	head, _ := a.st.Block(chaintest.Issuer(0), uint64(blocks))
	got, _ := late.st.Block(chaintest.Issuer(0), uint64(blocks))
	if got == nil || got.Hash != head.Hash {
		t.Fatal("late joiner's head differs from the issuer's")
	}
}

// A member that was stopped misses blocks, and after a restart on the same
// store catches up with what it missed. While it runs, blocks reach it by
// gossip (none through sync); after the restart, what it missed comes
// through sync (status on connection; no status ticks).
func TestRestartedMemberSyncsWhatItMissed(t *testing.T) {
	ctx := context.Background()
	a := startPeer(t, 0, "", nil, gossipOnly)
	b := startPeer(t, 1, "", []peer.AddrInfo{a.info()}, gossipOnly)
	awaitMeshes(t, 15*time.Second, 1, a, b)
	a.seal(ctx, 2, 20)
	eventually(t, 10*time.Second, "member 1 holds two blocks", func() bool { return heightOf(b, 0) == 2 })
	viaGossipOnly(t, b)

	dir := b.dir
	b.stop()
	a.seal(ctx, 5, 20)
	b = startPeer(t, 1, dir, []peer.AddrInfo{a.info()}, gossipOnly)
	if heightOf(b, 0) != 2 {
		t.Fatalf("restarted member holds %d blocks, want the 2 it had", heightOf(b, 0))
	}
	eventually(t, 20*time.Second, "the restarted member holds all seven blocks", func() bool { return heightOf(b, 0) == 7 })
	if s := b.net.Stats(); s.SyncedBlocks != 5 {
		t.Fatalf("the restarted member stored %d blocks through sync, want the 5 it missed", s.SyncedBlocks)
	}
}
