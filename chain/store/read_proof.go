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

// entryIn reads entry loc.Index of the block whose header is h.
func (s *Store) entryIn(h *chain.SignedHeader, loc Location) ([]byte, error) {
	if loc.Index >= h.EntryCount {
		return nil, fmt.Errorf("entry %d of block %d of %s: %w", loc.Index, loc.Height, loc.Issuer.Short(), ErrNotFound)
	}
	e, err := s.get(entryKey(loc.Issuer, loc.Height, loc.Index))
	if errors.Is(err, ErrNotFound) {
		return nil, ErrPruned // the block exists, so the entry was there
	}
	return e, err
}

// Proof returns the inclusion proof of the entry at loc: one header read,
// one entry read, the path read out of the stored tree; for a tree kept in
// the upper form (tree.go), a scan of the leaf's group of entries and
// their hashes too.
func (s *Store) Proof(loc Location) (*chain.Proof, error) {
	h, err := s.Header(loc.Issuer, loc.Height)
	if err != nil {
		return nil, err
	}
	entry, err := s.entryIn(h, loc)
	if err != nil {
		return nil, err
	}
	path, err := s.proofPath(loc, h.EntryCount)
	if err != nil {
		return nil, err
	}
	return &chain.Proof{Entry: entry, Index: loc.Index, Path: path, Header: h}, nil
}

// proofPath reads the audit path of loc out of its block's stored tree
// without copying the rest of it.
func (s *Store) proofPath(loc Location, entries uint32) ([]chain.Hash, error) {
	v, closer, err := s.db.Get(blockKey(prefixTree, loc.Issuer, loc.Height))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("tree of block %d of %s: %w", loc.Height, loc.Issuer.Short(), ErrNotFound)
	}
	if err != nil {
		return nil, s.readErr(err)
	}
	defer closer.Close()
	if isUpperTree(v, int(entries)) {
		first, end := merkle.GroupOf(int(entries), treeSkip, uint64(loc.Index))
		group, err := s.groupLeaves(loc, first, end)
		if err != nil {
			return nil, err
		}
		path, err := merkle.ProofFromUpper(v, int(entries), treeSkip, uint64(loc.Index), group)
		if err != nil {
			return nil, s.corruptf("tree of block %d of %s: %v", loc.Height, loc.Issuer.Short(), err)
		}
		return path, nil
	}
	path, err := merkle.ProofFromNodes(v, int(entries), uint64(loc.Index))
	if err != nil {
		return nil, s.corruptf("tree of block %d of %s: %v", loc.Height, loc.Issuer.Short(), err)
	}
	return path, nil
}
