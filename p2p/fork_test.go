package p2p_test

import (
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// The forked issuer is member 5 in these tests: branch x is its chain as
// one half of the network holds it, branch y the other half's.
const forker = 5

func branchX() []*chain.Block { return chaintest.BulkChain(forker, nil, 0, 8, 4) }        // x1, x2
func branchY() []*chain.Block { return chaintest.BulkChain(forker, nil, 1000, 4, 4)[:1] } // y1

// replicate stores blocks of another member's chain in p's store, as sync
// or gossip would have.
func replicate(t *testing.T, p *peerNode, blocks []*chain.Block) {
	t.Helper()
	if err := p.st.Append(verified(t, blocks)...); err != nil {
		t.Fatal(err)
	}
}

func forkedAt(p *peerNode) bool {
	_, ok := p.net.Forked()[chaintest.Issuer(forker)]
	return ok
}

// Member 2 holds y1; a member holding branch x forwards x2, validly signed
// and one above member 2's head, but linked to x1. That is the other side
// of a fork, not the forwarder's fault: the block is ignored, never
// rejected (the forwarder keeps its score), and member 2 fetches the
// forwarder's block 1 and builds the evidence from the two headers.
func TestForkAtTheNextHeightIsIgnoredAndProven(t *testing.T) {
	x, y := branchX(), branchY()
	c := startPeer(t, 2, "", nil, noStatusTicks)
	replicate(t, c, y)
	// The forwarder holds branch x and serves it; its status (none)
	// reveals nothing, so only the gossiped block can show the fork.
	fwd := newScripted(t, 4, nil, x, c)
	fwd.waitForMesh(t, c)
	fwd.publish(t, x[1])
	eventually(t, 10*time.Second, "member 2 holds evidence against the forker", func() bool { return forkedAt(c) })
	select {
	case h := <-fwd.asked:
		if h != 1 {
			t.Fatalf("member 2 asked the forwarder for block %d, want 1 (the one x2 links to)", h)
		}
	default:
		t.Fatal("member 2 built evidence without asking the forwarder")
	}
	ev := c.net.Forked()[chaintest.Issuer(forker)]
	if err := ev.Verify(members, chaintest.NetworkID); err != nil || ev.A.Height != 1 {
		t.Fatalf("evidence %+v: %v; want two headers at height 1", ev, err)
	}
	st := c.net.Stats()
	if st.BlocksRejected != 0 || st.BlocksIgnored != 1 {
		t.Fatalf("the fork's block was rejected %d and ignored %d times; want ignored once", st.BlocksRejected, st.BlocksIgnored)
	}
	eventually(t, 5*time.Second, "member 2 has a score for the forwarder", func() bool {
		_, ok := c.net.PeerScores()[fwd.h.ID()]
		return ok
	})
	if score := c.net.PeerScores()[fwd.h.ID()]; score < 0 {
		t.Fatalf("the forwarder of the other side of a fork is scored %v", score)
	}
	if c.net.Host().Network().Connectedness(fwd.h.ID()) != network.Connected {
		t.Fatal("the forwarder was disconnected")
	}
	if heightOf(c, forker) != 1 {
		t.Fatalf("member 2's chain of the forker is at %d, want its own y1", heightOf(c, forker))
	}
}

// Member 2 holds y1; another member's status says it holds the forker's
// chain to x2, signed. Sync from it gets x2, which does not follow y1: sync
// fetches the member's block 1 and builds the evidence, rather than just
// dropping the member.
func TestSyncOfAnotherBranchBuildsEvidence(t *testing.T) {
	x, y := branchX(), branchY()
	c := startPeer(t, 2, "", nil, noStatusTicks)
	replicate(t, c, y)
	newScripted(t, 4, statusOf([]*chain.SignedHeader{x[1].SignedHeader}), x, c)
	eventually(t, 10*time.Second, "member 2 holds evidence against the forker", func() bool { return forkedAt(c) })
	if s := c.net.Stats(); s.Misbehaved != 0 || s.SyncFailures != 0 {
		t.Fatalf("a member holding the other branch counted as misbehaving (%d) or failing (%d)", s.Misbehaved, s.SyncFailures)
	}
	eventually(t, 5*time.Second, "member 2 stops syncing the forked chain", func() bool { return len(c.net.Syncing()) == 0 })
}

// Two halves of the network, out of touch, each receive by gossip a
// different block 1 of one issuer (one half also its block 2). When they
// reconnect, every peer ends with the evidence — from the signed heads of
// the status exchange, from sync, or from the evidence topic — nobody is
// penalized or disconnected for having forwarded its side, and the
// evidence survives a restart.
func TestForkAcrossAPartitionIsFoundOnReconnect(t *testing.T) {
	x, y := branchX(), branchY()
	a := startPeer(t, 0, "", nil)
	b := startPeer(t, 1, "", []peer.AddrInfo{a.info()})
	c := startPeer(t, 2, "", nil)
	d := startPeer(t, 3, "", []peer.AddrInfo{c.info()})
	all := []*peerNode{a, b, c, d}
	eventually(t, 10*time.Second, "each half is connected", func() bool {
		return len(b.net.ConnectedMembers()) == 1 && len(d.net.ConnectedMembers()) == 1
	})

	// The forker shows branch x to one half, then branch y to the other.
	left := newRogue(t, chaintest.Key(forker), a)
	left.waitForMesh(t, a)
	for i, blk := range x {
		left.publish(t, blk)
		eventually(t, 10*time.Second, "member 0 stores the block", func() bool { return heightOf(a, forker) == uint64(i+1) })
	}
	eventually(t, 15*time.Second, "members 0 and 1 hold x1 and x2", func() bool { return heightOf(a, forker) == 2 && heightOf(b, forker) == 2 })
	left.h.Close()
	right := newRogue(t, chaintest.Key(forker), c)
	right.waitForMesh(t, c)
	right.publish(t, y[0])
	eventually(t, 15*time.Second, "members 2 and 3 hold y1", func() bool { return heightOf(c, forker) == 1 && heightOf(d, forker) == 1 })
	right.h.Close()
	for _, p := range all {
		if forkedAt(p) {
			t.Fatalf("member %d saw the fork before the halves met", p.key)
		}
	}

	if err := a.net.Host().Connect(t.Context(), c.info()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "every member holds evidence against the forker", func() bool {
		for _, p := range all {
			if !forkedAt(p) {
				return false
			}
		}
		return true
	})
	honest := make(map[peer.ID]int)
	for _, p := range all {
		honest[p.info().ID] = p.key
	}
	for _, p := range all {
		ev := p.net.Forked()[chaintest.Issuer(forker)]
		if err := ev.Verify(members, chaintest.NetworkID); err != nil {
			t.Fatalf("member %d holds evidence that does not verify: %v", p.key, err)
		}
		if s := p.net.Stats(); s.BlocksRejected != 0 || s.Misbehaved != 0 {
			t.Fatalf("member %d rejected %d blocks and disconnected %d peers for misbehaving", p.key, s.BlocksRejected, s.Misbehaved)
		}
		for id, score := range p.net.PeerScores() {
			if k, ok := honest[id]; ok && score < 0 {
				t.Fatalf("member %d scores honest member %d %v", p.key, k, score)
			}
		}
	}
	if a.net.Host().Network().Connectedness(c.info().ID) != network.Connected {
		t.Fatal("the members that bridged the halves were disconnected")
	}

	// Kept across a restart.
	dir := d.dir
	d.stop()
	d = startPeer(t, 3, dir, nil)
	if !forkedAt(d) {
		t.Fatal("the evidence was not kept across a restart")
	}
}
