package store

import (
	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/merkle"
)

// The tree of a block ('t' key) is kept in one of two forms, told apart by
// the value's length:
//
//   - whole: every node, leaves first (merkle.Tree.Nodes), for blocks with
//     an entry that may be pruned (one with an expiry) or already is: a
//     pruned entry's leaf hash is read from it (pruned.go);
//   - upper: the nodes from level treeSkip up (merkle.Tree.Upper), for
//     every other block of at least 2^treeSkip entries. A proof hashes the
//     2^treeSkip entries of its leaf's group, read in one short scan of
//     neighbouring keys (usually one data block), instead of reading their
//     leaf hashes; the tree then costs about 8 bytes per entry instead of
//     64, on a store where the entries average about 230.
//
// Stores written before the upper form keep their whole trees; both are
// read.
const treeSkip = 3

// treeCanSkip reports whether vb's tree is stored in the upper form.
func treeCanSkip(vb *chain.VerifiedBlock) bool {
	if !merkle.CanSkip(len(vb.Entries), treeSkip) {
		return false
	}
	for _, e := range vb.Decoded {
		if e == nil {
			return false
		}
		if _, ok := chain.ExpiresAt(e); ok {
			return false
		}
	}
	return true
}

// isUpperTree reports whether a stored tree value of a block of n entries
// is in the upper form; false means it must be the whole tree.
func isUpperTree(v []byte, n int) bool {
	return merkle.CanSkip(n, treeSkip) && len(v) == merkle.Size*merkle.UpperNodeCount(n, treeSkip)
}

// groupLeaves returns the leaf hashes of the entries [first, end) of
// loc's block, read in one scan.
func (s *Store) groupLeaves(loc Location, first, end uint64) ([]merkle.Hash, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{
		LowerBound: entryKey(loc.Issuer, loc.Height, uint32(first)),
		UpperBound: entryKey(loc.Issuer, loc.Height, uint32(end)),
	})
	if err != nil {
		return nil, s.readErr(err)
	}
	defer it.Close()
	leaves := make([]merkle.Hash, 0, end-first)
	for it.First(); it.Valid(); it.Next() {
		want := entryKey(loc.Issuer, loc.Height, uint32(first)+uint32(len(leaves)))
		if string(it.Key()) != string(want) {
			return nil, s.corruptf("entry %s is missing from a block whose tree keeps no leaves", DescribeKey(want))
		}
		leaves = append(leaves, merkle.LeafHash(it.Value()))
	}
	if err := it.Error(); err != nil {
		return nil, s.readErr(err)
	}
	if uint64(len(leaves)) != end-first {
		return nil, s.corruptf("entries %d–%d of block %d of %s: %d found, in a block whose tree keeps no leaves",
			first, end-1, loc.Height, loc.Issuer.Short(), len(leaves))
	}
	return leaves, nil
}
