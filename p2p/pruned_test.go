package p2p_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/libp2p/go-libp2p/core/peer"
)

// afterExpiry is a time at which every overdue event of lenderChain has
// expired (five years after it happened).
var afterExpiry = chaintest.Epoch.AddDate(6, 0, 0)

// lenderChain is issuer's chain of blocks, each of eight credit events
// (entries 3 and 7 overdue, so pruned after their expiry), and a last
// block withdrawing the first overdue event: once pruned, only its key
// lets a replica accept that correction.
func lenderChain(t *testing.T, issuer, blocks int) []*chain.VerifiedBlock {
	t.Helper()
	var (
		out  []*chain.VerifiedBlock
		head *chain.SignedHeader
	)
	add := func(entries [][]byte) {
		b, err := chain.NewBlock(chaintest.NetworkID, head, entries, chaintest.Key(issuer), chaintest.Epoch.Add(time.Duration(len(out))*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		vb, err := chain.ValidateBlock(b, head, members, params(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		out, head = append(out, vb), b.SignedHeader
	}
	for i := range blocks - 1 {
		entries := make([][]byte, 8)
		for j := range entries {
			entries[j] = chaintest.CreditEventEntry(i*8 + j)
		}
		add(entries)
	}
	first := &chainpb.Entry{Body: &chainpb.Entry_CreditEvent{CreditEvent: chaintest.CreditEvent(3)}}
	fix, err := chain.EncodeEntry(&chainpb.Entry{Body: &chainpb.Entry_Correction{Correction: &chainpb.Correction{
		CorrectionId: "FIX-1", TargetKey: chain.EntryKey(first), Action: chainpb.CorrectionAction_CORRECTION_ACTION_WITHDRAW, Reason: "reported in error",
	}}})
	if err != nil {
		t.Fatal(err)
	}
	add([][]byte{fix})
	return out
}

// pruneAll prunes p's store as its node would once the events expired, and
// checks some entries were pruned.
func pruneAll(t *testing.T, p *peerNode) {
	t.Helper()
	n, err := p.st.Prune(context.Background(), afterExpiry)
	if err != nil || n == 0 {
		t.Fatalf("member %d pruned %d entries: %v", p.key, n, err)
	}
}

// sameChain checks that got holds issuer's chain exactly as want does: the
// same headers and, block by block, the same pruned entries.
func sameChain(t *testing.T, got, want *peerNode, issuer int, height uint64) {
	t.Helper()
	iss := chaintest.Issuer(issuer)
	for h := uint64(1); h <= height; h++ {
		a, err := want.st.Block(iss, h)
		if err != nil {
			t.Fatal(err)
		}
		b, err := got.st.Block(iss, h)
		if err != nil {
			t.Fatalf("member %d, block %d of %d: %v", got.key, h, issuer, err)
		}
		if a.Hash != b.Hash || fmt.Sprint(a.Pruned) != fmt.Sprint(b.Pruned) {
			t.Fatalf("member %d holds block %d as %x with pruned %v, want %x with %v", got.key, h, b.Hash, b.Pruned, a.Hash, a.Pruned)
		}
	}
}

// A late joiner catches up a chain whose expired entries its holders
// pruned: sync ships them as leaf hashes and keys, and the joiner ends
// with the same head, the same pruned entries, and the pruned keys taken.
func TestLateJoinerCatchesUpAChainWithPrunedEntries(t *testing.T) {
	const blocks = 6
	lender := lenderChain(t, 3, blocks)
	a := startPeer(t, 0, "", nil)
	if err := a.st.Append(lender...); err != nil {
		t.Fatal(err)
	}
	pruneAll(t, a)
	late := startPeer(t, 1, "", []peer.AddrInfo{a.info()})
	eventually(t, 30*time.Second, "the late joiner holds the lender's chain", func() bool { return heightOf(late, 3) == blocks })
	sameChain(t, late, a, 3, blocks)
	if late.net.Stats().SyncedBlocks != blocks {
		t.Fatalf("synced %d blocks, want %d", late.net.Stats().SyncedBlocks, blocks)
	}
	pruned, _ := chain.DecodeEntry(chaintest.CreditEventEntry(3), 1<<20)
	if found, err := late.st.HasKeys(chaintest.Issuer(3), [][]byte{chain.EntryKey(pruned)}); err != nil || !found[0] {
		t.Fatalf("the joiner does not hold the pruned entry's key: %v, %v", found, err)
	}
}

// A member whose store was lost recovers its own chain across entries
// every other member pruned.
func TestRecoveryAcrossPrunedEntries(t *testing.T) {
	const blocks = 4
	own := lenderChain(t, 0, blocks)
	b := startPeer(t, 1, "", nil)
	if err := b.st.Append(own...); err != nil {
		t.Fatal(err)
	}
	pruneAll(t, b)
	a := startPeer(t, 0, "", []peer.AddrInfo{b.info()})
	eventually(t, 10*time.Second, "member 0 is connected", func() bool { return len(a.net.ConnectedMembers()) == 1 })
	pr, err := a.net.RecoverOwnChain(recoverCtx(t, 20*time.Second), 1, nil)
	if err != nil || pr.Head != blocks || pr.Blocks != blocks {
		t.Fatalf("recovery across pruned entries: %+v, %v", pr, err)
	}
	sameChain(t, a, b, 0, blocks)
}
