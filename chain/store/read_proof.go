package store

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/merkle"
)

// Entry returns the encoded entry at loc.
func (s *Store) Entry(loc Location) ([]byte, error) {
	h, err := s.Header(loc.Issuer, loc.Height)
	if err != nil {
		return nil, err
	}
	return s.entryIn(h, loc)
}

// entryIn reads entry loc.Index of the block whose header is h, copying
// only that entry out of the block's record.
func (s *Store) entryIn(h *chain.SignedHeader, loc Location) ([]byte, error) {
	if loc.Index >= h.EntryCount {
		return nil, fmt.Errorf("entry %d of block %d of %s: %w", loc.Index, loc.Height, loc.Issuer.Short(), ErrNotFound)
	}
	blob, closer, err := s.db.Get(blockKey(prefixEntries, loc.Issuer, loc.Height))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("entries of block %d of %s: %w", loc.Height, loc.Issuer.Short(), ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	e, err := entryAt(blob, int(loc.Index))
	if err != nil {
		return nil, fmt.Errorf("%w: entries of block %d of %s", ErrCorrupt, loc.Height, loc.Issuer.Short())
	}
	if e == nil {
		return nil, ErrPruned
	}
	return e, nil
}

// Tree returns the Merkle tree of issuer's block at height.
func (s *Store) Tree(iss chain.IssuerID, height uint64, entries uint32) (*merkle.Tree, error) {
	v, err := s.get(blockKey(prefixTree, iss, height))
	if err != nil {
		return nil, fmt.Errorf("tree of block %d of %s: %w", height, iss.Short(), err)
	}
	nodes := make([]merkle.Hash, len(v)/merkle.Size)
	for i := range nodes {
		copy(nodes[i][:], v[i*merkle.Size:])
	}
	t, err := merkle.TreeFromNodes(nodes, int(entries))
	if err != nil || len(v)%merkle.Size != 0 {
		return nil, fmt.Errorf("%w: tree of block %d of %s", ErrCorrupt, height, iss.Short())
	}
	return t, nil
}

// Proof returns the inclusion proof of the entry at loc: one header read,
// one entry read, one tree read, no hashing.
func (s *Store) Proof(loc Location) (*chain.Proof, error) {
	h, err := s.Header(loc.Issuer, loc.Height)
	if err != nil {
		return nil, err
	}
	entry, err := s.entryIn(h, loc)
	if err != nil {
		return nil, err
	}
	tree, err := s.Tree(loc.Issuer, loc.Height, h.EntryCount)
	if err != nil {
		return nil, err
	}
	path, err := tree.Proof(uint64(loc.Index))
	if err != nil {
		return nil, err
	}
	return &chain.Proof{Entry: entry, Index: loc.Index, Path: path, Header: h}, nil
}
