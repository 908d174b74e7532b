package store

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
)

// Append stores validated blocks, in order, in one atomic batch. Each must
// follow the head of its chain (or the block before it in vbs); an entry
// whose key its issuer used before, or a correction of an entry that does
// not exist, fails the whole batch with a provable chain error. The write is
// not fsynced (see the package documentation).
func (s *Store) Append(vbs ...*chain.VerifiedBlock) error {
	return s.commit(vbs, nil, pebble.NoSync)
}

// commit writes vbs and, when extra is set, lets it add to the batch; sync
// decides whether the commit waits for the disk.
func (s *Store) commit(vbs []*chain.VerifiedBlock, extra func(*pebble.Batch) error, sync *pebble.WriteOptions) error {
	s.appendMu.Lock()
	defer s.appendMu.Unlock()

	b := s.db.NewBatch()
	defer b.Close()
	heads := make(map[chain.IssuerID]*chain.SignedHeader)
	added := make(map[string]struct{})
	for _, vb := range vbs {
		head, seen := heads[vb.Issuer]
		if !seen {
			head = s.Head(vb.Issuer)
		}
		if err := follows(vb.SignedHeader, head); err != nil {
			return err
		}
		if err := s.addBlock(b, vb, added); err != nil {
			return err
		}
		heads[vb.Issuer] = vb.SignedHeader
	}
	if extra != nil {
		if err := extra(b); err != nil {
			return err
		}
	}
	if err := b.Commit(sync); err != nil {
		return fmt.Errorf("store: committing blocks: %w", err)
	}
	s.mu.Lock()
	for iss, h := range heads {
		s.mu.heads[iss] = h
	}
	s.mu.Unlock()
	return nil
}

func follows(h, head *chain.SignedHeader) error {
	switch {
	case head == nil && h.Height != 1:
		return fmt.Errorf("%w: block %d of %s, none held", chain.ErrUnknownParent, h.Height, h.Issuer.Short())
	case head == nil:
		return nil
	case h.Height <= head.Height:
		return fmt.Errorf("%w: block %d of %s, head %d", chain.ErrKnownHeight, h.Height, h.Issuer.Short(), head.Height)
	case h.Height > head.Height+1:
		return fmt.Errorf("%w: block %d of %s, head %d", chain.ErrHeightAhead, h.Height, h.Issuer.Short(), head.Height)
	case h.PrevHash != head.Hash:
		return fmt.Errorf("%w: block %d of %s", chain.ErrWrongPrevHash, h.Height, h.Issuer.Short())
	}
	return nil
}

// addBlock puts one block and its index keys into b. added holds the index
// keys of entry keys already in this batch.
func (s *Store) addBlock(b *pebble.Batch, vb *chain.VerifiedBlock, added map[string]struct{}) error {
	iss, height := vb.Issuer, vb.Height
	for i, e := range vb.Decoded {
		loc := Location{Issuer: iss, Height: height, Index: uint32(i)}
		key := keyIndexKey(iss, vb.Keys[i])
		if _, dup := added[string(key)]; dup {
			return fmt.Errorf("%w: block %d entry %d of %s", chain.ErrDuplicateKey, height, i, iss.Short())
		}
		if exists, err := s.has(key); err != nil {
			return err
		} else if exists {
			return fmt.Errorf("%w: block %d entry %d of %s reuses a key", chain.ErrDuplicateKey, height, i, iss.Short())
		}
		added[string(key)] = struct{}{}
		if err := b.Set(key, encodeLocation(height, uint32(i)), nil); err != nil {
			return err
		}
		if subj := chain.SubjectOf(e); subj != nil {
			if err := b.Set(postingKey(prefixSubject, subj, loc), nil, nil); err != nil {
				return err
			}
		}
		if r := e.GetQueryReceipt(); r != nil {
			if err := b.Set(postingKey(prefixQuerier, r.Querier, loc), nil, nil); err != nil {
				return err
			}
		}
		if c := e.GetCorrection(); c != nil {
			target := keyIndexKey(iss, c.TargetKey)
			_, inBatch := added[string(target)]
			if exists, err := s.has(target); err != nil {
				return err
			} else if !exists && !inBatch {
				return fmt.Errorf("%w: block %d entry %d of %s corrects an entry that does not exist", chain.ErrBadEntry, height, i, iss.Short())
			}
			fix := append(append([]byte{prefixFix}, iss[:]...), c.TargetKey...)
			if err := b.Set(postingKey(prefixFix, fix[1:], loc), nil, nil); err != nil {
				return err
			}
		}
		if exp, ok := chain.ExpiresAt(e); ok {
			field := binary.BigEndian.AppendUint64(nil, uint64(exp.UnixMilli()))
			if err := b.Set(postingKey(prefixExpiry, field, loc), nil, nil); err != nil {
				return err
			}
		}
	}
	leaves := make([]byte, 0, 32*len(vb.Leaves))
	for _, l := range vb.Leaves {
		leaves = append(leaves, l[:]...)
	}
	head := make([]byte, 0, 40)
	head = binary.BigEndian.AppendUint64(head, height)
	for _, kv := range [][2][]byte{
		{blockKey(prefixHeader, iss, height), vb.SignedHeader.Marshal()},
		{blockKey(prefixEntries, iss, height), encodeEntries(vb.Entries)},
		{blockKey(prefixLeaves, iss, height), leaves},
		{headKey(iss), head},
	} {
		if err := b.Set(kv[0], kv[1], nil); err != nil {
			return err
		}
	}
	return nil
}
