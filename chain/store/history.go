package store

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// prefixHistory keys the nodes of each chain's history tree (chain.History):
// every node an append completes, leaves (level 0, the leaf hash of block
// index+1) included, about two per block. They make the head's compact
// range (loaded at Open) and every history proof a few point reads.
const prefixHistory = 'y'

func historyKey(iss chain.IssuerID, level uint, index uint64) []byte {
	k := make([]byte, 0, 1+32+1+8)
	k = append(k, prefixHistory)
	k = append(k, iss[:]...)
	k = append(k, byte(level))
	return binary.BigEndian.AppendUint64(k, index)
}

// extendHistory returns a copy of vb's header carrying head's history
// (head nil: vb is block 1) extended by vb, and puts the nodes that
// completes into b. The caller has checked the link (chain.CheckLink).
func extendHistory(b *pebble.Batch, head *chain.SignedHeader, vb *chain.VerifiedBlock) (*chain.SignedHeader, error) {
	hist := chain.EmptyHistory()
	if head != nil {
		hist = head.History
	}
	var err error
	next := hist.Extend(vb.Hash, func(level uint, index uint64, h chain.Hash) {
		if err == nil {
			err = b.Set(historyKey(vb.Issuer, level, index), h[:], nil)
		}
	})
	if err != nil {
		return nil, err
	}
	out := *vb.SignedHeader
	out.History = next
	return &out, nil
}

// History returns the history of iss's chain through block height (its
// blocks 1..height), as a header needs it to be the parent of a block
// sealed or validated after it (chain.SignedHeader.History). The head
// carries its own (Head).
func (s *Store) History(iss chain.IssuerID, height uint64) (*chain.History, error) {
	if head := s.Head(iss); head == nil || height > head.Height || height == 0 {
		return nil, fmt.Errorf("%w: block %d of %s", ErrNotFound, height, iss.Short())
	}
	return s.loadHistory(iss, height)
}

// loadHistory reads the history of iss's blocks 1..size from its nodes.
func (s *Store) loadHistory(iss chain.IssuerID, size uint64) (*chain.History, error) {
	levels, indexes := chain.HistoryRangeNodes(size)
	hashes := make([]chain.Hash, len(levels))
	for i := range levels {
		h, err := s.historyNode(iss, levels[i], indexes[i])
		if err != nil {
			return nil, err
		}
		hashes[i] = h
	}
	return chain.HistoryFromRange(size, hashes)
}

func (s *Store) historyNode(iss chain.IssuerID, level uint, index uint64) (chain.Hash, error) {
	v, err := s.get(historyKey(iss, level, index))
	if errors.Is(err, ErrNotFound) {
		return chain.Hash{}, s.corruptf("history node %d/%d of %s is missing", level, index, iss.Short())
	}
	if err != nil {
		return chain.Hash{}, err
	}
	if len(v) != len(chain.Hash{}) {
		return chain.Hash{}, s.corruptf("history node %d/%d of %s has %d bytes", level, index, iss.Short(), len(v))
	}
	return chain.Hash(v), nil
}

// HistoryProof returns the proof that block height of iss's chain is in
// the history of its block headHeight (chain.VerifyInHistory checks it):
// the RFC 6962 inclusion path of leaf height-1 in the tree of headHeight-1
// blocks, empty when the two are one block. Both blocks must be held
// (ErrNotFound otherwise); a pruned block's header, and so its history,
// stays.
func (s *Store) HistoryProof(iss chain.IssuerID, height, headHeight uint64) ([]chain.Hash, error) {
	head := s.Head(iss)
	switch {
	case height == 0 || height > headHeight:
		return nil, fmt.Errorf("store: no history proof of block %d in block %d", height, headHeight)
	case head == nil || headHeight > head.Height:
		return nil, fmt.Errorf("%w: block %d of %s", ErrNotFound, headHeight, iss.Short())
	case height == headHeight:
		return nil, nil
	}
	nodes, err := proof.Inclusion(height-1, headHeight-1)
	if err != nil {
		return nil, fmt.Errorf("store: history proof: %w", err)
	}
	return s.historyPath(iss, nodes)
}

// historyPath reads the nodes a proof names and folds the ephemeral one.
func (s *Store) historyPath(iss chain.IssuerID, nodes proof.Nodes) ([]chain.Hash, error) {
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		h, err := s.historyNode(iss, id.Level, id.Index)
		if err != nil {
			return nil, err
		}
		hashes[i] = h[:]
	}
	path, err := nodes.Rehash(hashes, rfc6962.DefaultHasher.HashChildren)
	if err != nil {
		return nil, fmt.Errorf("store: history proof: %w", err)
	}
	out := make([]chain.Hash, len(path))
	for i, h := range path {
		copy(out[i][:], h)
	}
	return out, nil
}
