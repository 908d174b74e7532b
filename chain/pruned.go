package chain

import (
	"fmt"
	"time"
)

// PrunedEntry stands for an entry whose bytes were dropped after its
// expiry (store.Prune drops expired negative credit events and corrections
// that replace with one): the leaf hash its block's Merkle root was built
// over, and the entry's key, which its issuer may never use again and a
// later correction may still target. A block read from a store, or
// received through sync, carries one for every entry it no longer holds
// (Block.Pruned); gossip never carries them.
//
// The leaf is proven by the root, the key is not: whoever ships a pruned
// entry vouches for its key. A wrong key can only make the receiver refuse
// a later entry of that key, or accept a correction of it.
type PrunedEntry struct {
	Index uint32 // position of the entry in its block
	Leaf  Hash   // merkle.LeafHash of the entry as it was shipped
	Key   []byte // EntryKey of the entry: a credit-event or correction key
}

// ValidateSynced is ValidateBlock for a block received through sync (or
// own-chain recovery), which may stand for pruned entries by their leaf
// hash and key (Block.Pruned, entries[i] empty there): the Merkle root is
// checked over the entries it holds and the leaf hashes it ships. A pruned
// entry is not decoded (its VerifiedBlock.Decoded element is nil) and its
// key enters the block's duplicate-key check and the store's key index.
func ValidateSynced(b *Block, head *SignedHeader, members Members, p Params, now time.Time) (*VerifiedBlock, error) {
	return validateBlock(b, head, members, p, now, true)
}

// checkPruned checks the shape of b.Pruned and returns, per entry index,
// the pruned entry standing for it (nil where the block holds the entry).
func checkPruned(b *Block, p Params) ([]*PrunedEntry, error) {
	if len(b.Pruned) == 0 {
		return nil, nil
	}
	at := make([]*PrunedEntry, len(b.Entries))
	for i := range b.Pruned {
		pe := &b.Pruned[i]
		switch {
		case int(pe.Index) >= len(b.Entries):
			return nil, fmt.Errorf("%w: pruned entry %d of a block of %d entries", ErrMalformed, pe.Index, len(b.Entries))
		case i > 0 && pe.Index <= b.Pruned[i-1].Index:
			return nil, fmt.Errorf("%w: pruned entries out of order at %d", ErrMalformed, pe.Index)
		case len(b.Entries[pe.Index]) != 0:
			return nil, fmt.Errorf("%w: entry %d is both shipped and pruned", ErrMalformed, pe.Index)
		case len(pe.Key) > p.MaxEntryBytes:
			return nil, fmt.Errorf("%w: key of pruned entry %d has %d bytes", ErrOversized, pe.Index, len(pe.Key))
		}
		if err := checkPrunedKey(pe.Key); err != nil {
			return nil, fmt.Errorf("%w: key of pruned entry %d: %v", ErrMalformed, pe.Index, err)
		}
		at[pe.Index] = pe
	}
	return at, nil
}

// checkPrunedKey checks that k is the key of an entry that can be pruned:
// a credit event, or a correction (one that replaces with a negative
// credit event).
func checkPrunedKey(k []byte) error {
	if len(k) < 2 {
		return errShortKey
	}
	switch k[0] {
	case KeyCreditEvent, KeyCorrection:
		return checkID(string(k[1:]), true)
	}
	return keyError("only credit-event and correction entries are ever pruned")
}
