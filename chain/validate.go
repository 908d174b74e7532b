package chain

import (
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/merkle"
)

// VerifiedBlock is a block that passed ValidateBlock, with what validation
// computed: decoded entries, their keys and the Merkle tree over them. A
// pruned entry (ValidateSynced) has a nil Decoded element, and the key and
// leaf its PrunedEntry shipped.
type VerifiedBlock struct {
	*Block
	Decoded []*chainpb.Entry
	Keys    [][]byte
	Tree    *merkle.Tree
}

// ValidateBlock checks b against the newest header we hold of its issuer's
// chain (head, nil if none), the members, the parameters and the time now.
// It does no I/O.
//
// Provable failures come first, so a block that is both bad and ahead of us
// is rejected rather than ignored: shape, network, membership, size,
// signature, entry count, the Merkle root, each entry (its fields, then
// CheckEntry: the issuer's roles, a receipt's signed query and fee). Then the failures that
// cannot be judged yet: a time ahead of now, and a height that is not head+1.
// A block that does follow head must link to it by hash and not go back in
// time.
//
// On success it sets b.History (the chain's history through b), so b can be
// the parent of the next block validated or sealed.
//
// A block standing for pruned entries (Block.Pruned) is refused here:
// only sync may ship those (ValidateSynced), never gossip.
func ValidateBlock(b *Block, head *SignedHeader, members Members, p Params, now time.Time) (*VerifiedBlock, error) {
	return validateBlock(b, head, members, p, now, false)
}

func validateBlock(b *Block, head *SignedHeader, members Members, p Params, now time.Time, synced bool) (*VerifiedBlock, error) {
	if len(b.Pruned) > 0 && !synced {
		return nil, fmt.Errorf("%w: a block with pruned entries is accepted only through sync", ErrMalformed)
	}
	vb, err := validateContent(b, members, p)
	if err != nil {
		return nil, err
	}
	if ahead := b.Time.Sub(now); ahead > p.MaxClockSkew {
		return nil, fmt.Errorf("%w: %s ahead", ErrFromFuture, ahead)
	}
	if err := CheckLink(b.SignedHeader, head); err != nil {
		return nil, err
	}
	b.History = WithHistory(b.SignedHeader, head).History
	return vb, nil
}

// validateContent checks everything that does not depend on our state.
func validateContent(b *Block, members Members, p Params) (*VerifiedBlock, error) {
	h := b.Header
	if h.NetworkID != p.NetworkID {
		return nil, fmt.Errorf("%w: block of %q, we are %q", ErrWrongNetwork, h.NetworkID, p.NetworkID)
	}
	if !members.Contains(h.Issuer) {
		return nil, fmt.Errorf("%w: %s", ErrNotMember, h.Issuer.Short())
	}
	if len(b.Entries) > p.MaxBlockEntries {
		return nil, fmt.Errorf("%w: %d entries, limit %d", ErrOversized, len(b.Entries), p.MaxBlockEntries)
	}
	total := 0
	for _, e := range b.Entries {
		total += len(e)
	}
	if total > p.MaxBlockBytes {
		return nil, fmt.Errorf("%w: %d entry bytes, limit %d", ErrOversized, total, p.MaxBlockBytes)
	}
	if err := b.VerifySignature(); err != nil {
		return nil, err
	}
	if int(h.EntryCount) != len(b.Entries) {
		return nil, fmt.Errorf("%w: header says %d, block has %d", ErrBadEntryCount, h.EntryCount, len(b.Entries))
	}
	pruned, err := checkPruned(b, p)
	if err != nil {
		return nil, err
	}
	leaves := LeafHashes(b.Entries)
	for i, pe := range pruned {
		if pe != nil {
			leaves[i] = pe.Leaf
		}
	}
	vb := &VerifiedBlock{
		Block:   b,
		Decoded: make([]*chainpb.Entry, len(b.Entries)),
		Keys:    make([][]byte, len(b.Entries)),
		Tree:    merkle.NewTree(leaves),
	}
	if vb.Tree.Root() != h.EntriesRoot {
		return nil, ErrBadRoot
	}
	seen := make(map[string]struct{}, len(b.Entries))
	for i, data := range b.Entries {
		var e *chainpb.Entry
		var k []byte
		if pruned != nil && pruned[i] != nil {
			k = pruned[i].Key // not decoded: its bytes are gone
			// Only expiring credit events are pruned, and only credit
			// members write them.
			if !members.Has(h.Issuer, RoleCredit) {
				return nil, fmt.Errorf("entry %d: %w: a pruned credit record on the chain of a member without the credit role (%s)", i, ErrNoRole, members[h.Issuer])
			}
		} else {
			if e, err = DecodeEntry(data, p.MaxEntryBytes); err != nil {
				return nil, fmt.Errorf("entry %d: %w", i, err)
			}
			if err := CheckEntry(e, h.Issuer, members, p, h.Time); err != nil {
				return nil, fmt.Errorf("entry %d: %w", i, err)
			}
			k = EntryKey(e)
		}
		if _, dup := seen[string(k)]; dup {
			return nil, fmt.Errorf("%w: entry %d repeats an earlier key of this block", ErrDuplicateKey, i)
		}
		seen[string(k)] = struct{}{}
		if id := QueryIDKey(e); id != nil {
			if _, dup := seen[string(id)]; dup {
				return nil, fmt.Errorf("%w: entry %d is a receipt of a second query under an earlier receipt's querier and query ID", ErrDuplicateKey, i)
			}
			seen[string(id)] = struct{}{}
		}
		vb.Decoded[i], vb.Keys[i] = e, k
	}
	return vb, nil
}

// CheckLink checks that s follows head (nil: we hold none of its chain)
// directly: the next height, linked by hash, not back in time, committing
// to head's history (head.History, which head must carry) extended by
// head's hash.
func CheckLink(s *SignedHeader, head *SignedHeader) error {
	switch {
	case head == nil && s.Height == 1:
		return nil
	case head == nil:
		return fmt.Errorf("%w: block %d of %s, we hold none of its chain", ErrUnknownParent, s.Height, s.Issuer.Short())
	case s.Height <= head.Height:
		return fmt.Errorf("%w: block %d of %s, our head is %d", ErrKnownHeight, s.Height, s.Issuer.Short(), head.Height)
	case s.Height > head.Height+1:
		return fmt.Errorf("%w: block %d of %s, our head is %d", ErrHeightAhead, s.Height, s.Issuer.Short(), head.Height)
	case s.PrevHash != head.Hash:
		return fmt.Errorf("%w: block %d of %s", ErrWrongPrevHash, s.Height, s.Issuer.Short())
	case s.Time.Before(head.Time):
		return fmt.Errorf("%w: block %d at %s, parent at %s", ErrTimeBackwards, s.Height, s.Time.UTC().Format(time.RFC3339Nano), head.Time.UTC().Format(time.RFC3339Nano))
	case head.History == nil || head.History.Size() != head.Height:
		return errNoHistory(head)
	case s.HistoryRoot != head.History.Root():
		return fmt.Errorf("%w: block %d of %s", ErrBadHistory, s.Height, s.Issuer.Short())
	}
	return nil
}

// errNoHistory is a parent header passed without its history: a mistake of
// the caller's, never the block's.
func errNoHistory(head *SignedHeader) error {
	return fmt.Errorf("chain: parent %d of %s has no history of its chain (see SignedHeader.History)", head.Height, head.Issuer.Short())
}
