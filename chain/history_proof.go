package chain

import (
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// VerifyInHistory checks that block is in the history of head, a later (or
// the same) header of the same chain: proof is the RFC 6962 inclusion path
// of block's leaf (index block.Height-1) in the tree of head.Height-1
// blocks whose root is head.HistoryRoot (store.HistoryProof makes it).
// When block is head itself the proof is empty and the hashes must match.
//
// It checks no signature: whoever trusts head (its issuer's signature, its
// cosignatures) learns from a valid proof that block's exact header bytes
// are in that chain's history, signed or not.
func VerifyInHistory(block, head *SignedHeader, path []Hash) error {
	switch {
	case block == nil || head == nil:
		return fmt.Errorf("%w: history proof without its headers", ErrMalformed)
	case block.NetworkID != head.NetworkID:
		return fmt.Errorf("%w: block of %q, head of %q", ErrWrongNetwork, block.NetworkID, head.NetworkID)
	case block.Issuer != head.Issuer:
		return fmt.Errorf("%w: block of %s, head of %s", ErrBadHistory, block.Issuer.Short(), head.Issuer.Short())
	case block.Height > head.Height:
		return fmt.Errorf("%w: block %d is after head %d", ErrBadHistory, block.Height, head.Height)
	case block.Height == head.Height:
		if block.Hash != head.Hash || len(path) != 0 {
			return fmt.Errorf("%w: block %d is not the head of that height", ErrBadHistory, block.Height)
		}
		return nil
	}
	leaf := HistoryLeaf(block.Hash)
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, block.Height-1, head.Height-1, leaf[:], hashBytes(path), head.HistoryRoot[:]); err != nil {
		return fmt.Errorf("%w: block %d in head %d: %v", ErrBadHistory, block.Height, head.Height, err)
	}
	return nil
}

// ErrBadHistory is a history root, or a proof against one, that does not
// hold: a block whose history root is not the root of its parent's history
// extended by the parent's hash is provably bad.
var ErrBadHistory = provable("history root does not match the chain")

func hashBytes(hs []Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}
