package chain_test

import (
	"errors"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/merkle"
	"google.golang.org/protobuf/proto"
)

// historyChain returns n blocks of issuer 0, one entry each, and the
// history leaves of their hashes.
func historyChain(n int) ([]*chain.Block, []chain.Hash) {
	sizes := make([]int, n)
	for i := range sizes {
		sizes[i] = 1
	}
	blocks := chaintest.Chain(0, sizes...)
	leaves := make([]chain.Hash, n)
	for i, b := range blocks {
		leaves[i] = chain.HistoryLeaf(b.Hash)
	}
	return blocks, leaves
}

// Every header commits to the RFC 6962 root over the hashes of the blocks
// before it, as our own tree of package merkle (a second implementation)
// computes it, and the history a sealed block carries is that of its
// chain through it.
func TestHeaderCommitsToItsChainsHistory(t *testing.T) {
	blocks, leaves := historyChain(37)
	for i, b := range blocks {
		want := chain.Hash{}
		if i > 0 {
			want = merkle.Root(leaves[:i])
		}
		if b.HistoryRoot != want {
			t.Fatalf("block %d: history root %s, want %s", b.Height, b.HistoryRoot, want)
		}
		if b.History.Size() != b.Height || b.History.Root() != merkle.Root(leaves[:i+1]) {
			t.Fatalf("block %d carries a history of %d blocks, root %s", b.Height, b.History.Size(), b.History.Root())
		}
	}
}

// Every block is provable in the history of every later head with the RFC
// 6962 inclusion path, and a proof that is changed, short or for another
// position fails.
func TestVerifyInHistory(t *testing.T) {
	blocks, leaves := historyChain(23)
	for h := 1; h <= len(blocks); h++ {
		head := blocks[h-1].SignedHeader
		for b := 1; b <= h; b++ {
			var path []chain.Hash
			if b < h {
				var err error
				if path, err = merkle.InclusionProof(leaves[:h-1], uint64(b-1)); err != nil {
					t.Fatal(err)
				}
			}
			blk := blocks[b-1].SignedHeader
			if err := chain.VerifyInHistory(blk, head, path); err != nil {
				t.Fatalf("block %d in head %d: %v", b, h, err)
			}
			if b == h {
				continue
			}
			if b > 1 {
				if err := chain.VerifyInHistory(blocks[b-2].SignedHeader, head, path); !errors.Is(err, chain.ErrBadHistory) {
					t.Fatalf("block %d passed with the path of block %d in head %d: %v", b-1, b, h, err)
				}
			}
			if len(path) > 0 {
				bad := append([]chain.Hash(nil), path...)
				bad[len(bad)-1][0] ^= 1
				if err := chain.VerifyInHistory(blk, head, bad); !errors.Is(err, chain.ErrBadHistory) {
					t.Fatalf("block %d in head %d passed with a changed path: %v", b, h, err)
				}
				if err := chain.VerifyInHistory(blk, head, path[:len(path)-1]); !errors.Is(err, chain.ErrBadHistory) {
					t.Fatalf("block %d in head %d passed with a short path: %v", b, h, err)
				}
			}
		}
	}
	later := blocks[5].SignedHeader
	if err := chain.VerifyInHistory(later, blocks[2].SignedHeader, nil); !errors.Is(err, chain.ErrBadHistory) {
		t.Fatalf("a later block passed in an earlier head: %v", err)
	}
	other := chaintest.Chain(1, 1, 1, 1)
	if err := chain.VerifyInHistory(other[0].SignedHeader, blocks[3].SignedHeader, nil); !errors.Is(err, chain.ErrBadHistory) {
		t.Fatalf("another chain's block passed: %v", err)
	}
}

// A block whose history root is not its parent's history extended by the
// parent is provably bad, whatever else about it is right; block 1 has no
// history root, and a parent given without its history is the caller's
// mistake, not the block's.
func TestForgedHistoryRootIsRejected(t *testing.T) {
	key := chaintest.Key(0)
	members := chaintest.Members(1)
	p := chaintest.Params()
	b1 := signed(t, key, nil, payments(1), nil)
	b2 := signed(t, key, b1.SignedHeader, payments(1)[:1], nil)
	if _, err := chain.ValidateBlock(b2, b1.SignedHeader, members, p, now); err != nil {
		t.Fatal(err)
	}
	forgeries := map[string]func(*chain.Header){
		"zero":         func(h *chain.Header) { h.HistoryRoot = chain.Hash{} },
		"one bit":      func(h *chain.Header) { h.HistoryRoot[31] ^= 1 },
		"parent's own": func(h *chain.Header) { h.HistoryRoot = b1.HistoryRoot },
		"parent hash":  func(h *chain.Header) { h.HistoryRoot = b1.Hash },
	}
	for name, edit := range forgeries {
		bad := signed(t, key, b1.SignedHeader, payments(1), edit)
		_, err := chain.ValidateBlock(bad, b1.SignedHeader, members, p, now)
		if !errors.Is(err, chain.ErrBadHistory) || !chain.IsProvable(err) {
			t.Errorf("%s: got %v, want a provable ErrBadHistory", name, err)
		}
	}
	var pb chainpb.Header
	if err := proto.Unmarshal(b1.Raw, &pb); err != nil {
		t.Fatal(err)
	}
	pb.HistoryRoot = make([]byte, 32)
	raw, err := proto.Marshal(&pb)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chain.DecodeSignedHeader(raw, b1.Signature); !errors.Is(err, chain.ErrBadHeader) {
		t.Errorf("block 1 with a history root decoded: %v", err)
	}
	wire, err := chain.DecodeBlock(b1.Marshal(), p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chain.ValidateBlock(b2, wire.SignedHeader, members, p, now); err == nil || chain.IsProvable(err) {
		t.Errorf("a parent without its history: got %v, want an error that does not condemn the block", err)
	}
	if _, err := chain.NewBlock(chaintest.NetworkID, wire.SignedHeader, payments(1), key, now); err == nil {
		t.Error("sealed a block after a parent without its history")
	}
}

// A history rebuilt from its compact range (as a store keeps it) is the
// same history, and grows as the original does.
func TestHistoryFromRange(t *testing.T) {
	blocks, _ := historyChain(13)
	for _, b := range blocks {
		got, err := chain.HistoryFromRange(b.History.Size(), b.History.Hashes())
		if err != nil {
			t.Fatal(err)
		}
		var next chain.Hash
		next[0] = byte(b.Height)
		if got.Root() != b.History.Root() || got.Extend(next, nil).Root() != b.History.Extend(next, nil).Root() {
			t.Fatalf("history of %d rebuilt differently", b.Height)
		}
		levels, _ := chain.HistoryRangeNodes(b.Height)
		if len(levels) != len(b.History.Hashes()) {
			t.Fatalf("history of %d: %d range nodes named, %d held", b.Height, len(levels), len(b.History.Hashes()))
		}
	}
	if _, err := chain.HistoryFromRange(5, blocks[0].History.Hashes()); err == nil {
		t.Error("a range of the wrong shape was taken")
	}
}
