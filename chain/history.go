package chain

import (
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
)

// History is a chain's history through one block: the compact range
// (github.com/transparency-dev/merkle/compact) over the hashes of its blocks
// 1..Size, leaf i being block i+1. The header at height h commits to the
// root of the history of size h-1 (Header.HistoryRoot), so any block is
// provable against any later head of its chain in O(log n)
// (VerifyInHistory).
//
// The tree is RFC 6962's, as for entries: a leaf hash is
// SHA-256(0x00 || block hash), a node SHA-256(0x01 || left || right).
//
// A History is immutable: Extend returns a new one.
type History struct {
	r *compact.Range
}

var historyRanges = compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

// HistoryNodeVisitor is told every node of the history tree that an Extend
// computes, by level (0: leaves) and index within the level: the nodes a
// store keeps to prove inclusion and consistency later.
type HistoryNodeVisitor func(level uint, index uint64, hash Hash)

// EmptyHistory is the history before block 1.
func EmptyHistory() *History { return &History{r: historyRanges.NewEmptyRange(0)} }

// HistoryFromRange rebuilds the history of size blocks from the roots of
// the perfect subtrees that cover it, left to right (as Hashes returns
// them, and as HistoryRangeNodes names them).
func HistoryFromRange(size uint64, hashes []Hash) (*History, error) {
	hs := make([][]byte, len(hashes))
	for i := range hashes {
		hs[i] = hashes[i][:]
	}
	r, err := historyRanges.NewRange(0, size, hs)
	if err != nil {
		return nil, fmt.Errorf("chain: history of %d blocks: %w", size, err)
	}
	return &History{r: r}, nil
}

// HistoryRangeNodes returns the (level, index) of each perfect subtree
// root that the history of size blocks is made of, left to right.
func HistoryRangeNodes(size uint64) (levels []uint, indexes []uint64) {
	for _, id := range compact.RangeNodes(0, size, nil) {
		levels = append(levels, id.Level)
		indexes = append(indexes, id.Index)
	}
	return levels, indexes
}

// Size returns the number of blocks the history covers.
func (h *History) Size() uint64 { return h.r.End() }

// Hashes returns the roots of the perfect subtrees covering the history,
// left to right.
func (h *History) Hashes() []Hash {
	hs := h.r.Hashes()
	out := make([]Hash, len(hs))
	for i, b := range hs {
		copy(out[i][:], b)
	}
	return out
}

// Root returns the RFC 6962 root of the history; the zero Hash for the
// empty history (block 1 commits to none).
func (h *History) Root() Hash {
	if h.r.End() == 0 {
		return Hash{}
	}
	root, err := h.r.GetRootHash(nil)
	if err != nil {
		panic(err) // a range from 0 always has a root
	}
	var out Hash
	copy(out[:], root)
	return out
}

// Extend returns the history with one more block, of hash blockHash,
// telling visit (if not nil) every node the new block completes.
func (h *History) Extend(blockHash Hash, visit HistoryNodeVisitor) *History {
	r := h.clone()
	var v compact.VisitFn
	if visit != nil {
		v = func(id compact.NodeID, hash []byte) {
			var x Hash
			copy(x[:], hash)
			visit(id.Level, id.Index, x)
		}
	}
	if err := r.Append(rfc6962.DefaultHasher.HashLeaf(blockHash[:]), v); err != nil {
		panic(err) // appending one hash to a valid range cannot fail
	}
	return &History{r: r}
}

// clone returns a copy of the range that shares no memory with h's.
func (h *History) clone() *compact.Range {
	hs := h.r.Hashes()
	cp := make([][]byte, len(hs))
	for i, b := range hs {
		cp[i] = append([]byte(nil), b...)
	}
	r, err := historyRanges.NewRange(0, h.r.End(), cp)
	if err != nil {
		panic(err) // the hashes of a valid range
	}
	return r
}

// HistoryLeaf returns the leaf hash of a block in its chain's history.
func HistoryLeaf(blockHash Hash) Hash {
	var out Hash
	copy(out[:], rfc6962.DefaultHasher.HashLeaf(blockHash[:]))
	return out
}

// WithHistory returns a copy of s carrying the history through s: parent's
// history (nil parent: s is block 1) extended by s's hash. It checks
// nothing; ValidateBlock does. A parent without its history gives a copy
// without one, which ValidateBlock refuses as a parent.
func WithHistory(s, parent *SignedHeader) *SignedHeader {
	out := *s
	switch {
	case parent == nil:
		out.History = EmptyHistory().Extend(s.Hash, nil)
	case parent.History != nil:
		out.History = parent.History.Extend(s.Hash, nil)
	default:
		out.History = nil
	}
	return &out
}
