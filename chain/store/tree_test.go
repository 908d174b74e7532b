package store

import (
	"errors"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/merkle"
)

// A block of payments keeps only the upper levels of its tree, a block with
// entries that expire keeps the whole tree, and every entry's proof of
// either form verifies against its header.
func TestTreeFormsAndTheirProofs(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var payments []*chain.Block
	var head *chain.SignedHeader
	for i, size := range []int{8, 21, 64, 7} { // 7: too small to leave levels out
		blk := chaintest.BulkChain(1, head, 1000*i, size, size)[0]
		payments = append(payments, blk)
		head = blk.SignedHeader
	}
	if err := s.Append(mustVerify(t, nil, payments...)...); err != nil {
		t.Fatal(err)
	}
	lender := lenderBlock(t)
	if err := s.Append(mustVerify(t, nil, lender)...); err != nil {
		t.Fatal(err)
	}
	for _, blk := range append(payments, lender) {
		n := int(blk.EntryCount)
		tree, err := s.get(blockKey(prefixTree, blk.Issuer, blk.Height))
		if err != nil {
			t.Fatal(err)
		}
		wantUpper := blk.Issuer == chaintest.Issuer(1) && n >= 8
		if isUpperTree(tree, n) != wantUpper {
			t.Fatalf("block %d of %s (%d entries): tree of %d bytes, want the upper form: %v", blk.Height, blk.Issuer.Short(), n, len(tree), wantUpper)
		}
		if !wantUpper && len(tree) != merkle.Size*merkle.NodeCount(n) {
			t.Fatalf("block %d of %s: %d bytes are not the whole tree", blk.Height, blk.Issuer.Short(), len(tree))
		}
		for i := range n {
			p, err := s.Proof(Location{Issuer: blk.Issuer, Height: blk.Height, Index: uint32(i)})
			if err != nil {
				t.Fatalf("block %d entry %d: %v", blk.Height, i, err)
			}
			if err := p.Verify(testMembers, chaintest.NetworkID); err != nil {
				t.Fatalf("block %d entry %d: %v", blk.Height, i, err)
			}
		}
	}
}

// An entry missing from a block whose tree keeps no leaves is damage: the
// proofs of its group's other entries fail with ErrCorrupt, and Check names
// it.
func TestUpperTreeWithAMissingEntry(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	blk := chaintest.BulkChain(1, nil, 0, 20, 20)[0]
	if err := s.Append(mustVerify(t, nil, blk)...); err != nil {
		t.Fatal(err)
	}
	del(t, s.db, entryKey(blk.Issuer, 1, 9))
	if _, err := s.Proof(Location{Issuer: blk.Issuer, Height: 1, Index: 10}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("proof of a neighbour of a missing entry: %v, want ErrCorrupt", err)
	}
	if _, err := s.Proof(Location{Issuer: blk.Issuer, Height: 1, Index: 17}); err != nil {
		t.Fatalf("proof in another group: %v", err)
	}
	s.Close()
	r := mustCheck(t, dir)
	if len(find(r, ProblemMerkle, blk.Issuer, 1)) == 0 {
		t.Fatalf("Check did not name the missing entry: %+v", r.Problems)
	}
}
