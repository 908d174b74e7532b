package store_test

import (
	"errors"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
)

// Every block is provable in the history of every later head of its
// chain from what the store keeps, before and after a reopen (the head's
// history is loaded from its nodes and goes on growing), and in batches
// that append several blocks at once; a proof asked beyond the head fails.
func TestHistoryProofOfEveryBlockInEveryLaterHead(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	sizes := make([]int, 45)
	for i := range sizes {
		sizes[i] = 1 + i%3
	}
	blocks := chaintest.Chain(0, sizes...)
	vbs := verify(t, blocks...)
	if err := s.Append(vbs[:20]...); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, dir)
	defer s.Close()
	if got := s.Head(chaintest.Issuer(0)); got.History == nil || got.History.Root() != blocks[19].History.Root() {
		t.Fatalf("reopened head carries history %v, want that of block 20", got.History)
	}
	for _, vb := range vbs[20:] {
		if err := s.Append(vb); err != nil {
			t.Fatal(err)
		}
	}
	for h := 1; h <= len(blocks); h++ {
		for b := 1; b <= h; b++ {
			path, err := s.HistoryProof(chaintest.Issuer(0), uint64(b), uint64(h))
			if err != nil {
				t.Fatalf("proof of %d in %d: %v", b, h, err)
			}
			if err := chain.VerifyInHistory(blocks[b-1].SignedHeader, blocks[h-1].SignedHeader, path); err != nil {
				t.Fatalf("proof of %d in %d: %v", b, h, err)
			}
		}
	}
	if _, err := s.HistoryProof(chaintest.Issuer(0), 3, uint64(len(blocks)+1)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a proof into a block not held: %v", err)
	}
	if _, err := s.HistoryProof(chaintest.Issuer(1), 1, 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a proof in a chain not held: %v", err)
	}
}

// The store refuses a block whose history root is forged even when it is
// handed as verified, and keeps its head.
func TestAppendRefusesAForgedHistoryRoot(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	blocks := chaintest.Chain(0, 1, 1)
	vbs := verify(t, blocks...)
	if err := s.Append(vbs[0]); err != nil {
		t.Fatal(err)
	}
	h := blocks[1].Header
	h.HistoryRoot[0] ^= 1
	sh, err := chain.SignHeader(h, chaintest.Key(0))
	if err != nil {
		t.Fatal(err)
	}
	forged := *vbs[1]
	forged.Block = &chain.Block{SignedHeader: sh, Entries: blocks[1].Entries}
	if err := s.Append(&forged); !errors.Is(err, chain.ErrBadHistory) {
		t.Fatalf("got %v, want ErrBadHistory", err)
	}
	if s.Head(chaintest.Issuer(0)).Height != 1 {
		t.Fatal("the forged block moved the head")
	}
}
