package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
)

// Prune drops the bytes of every negative entry that expired at or before
// now, keeping its leaf hash (so the block still proves its other entries)
// and its key (so the key is never reused). It returns how many entries it
// dropped.
func (s *Store) Prune(now time.Time) (int, error) {
	lower := []byte{prefixExpiry}
	upper := binary.BigEndian.AppendUint64([]byte{prefixExpiry}, uint64(now.UnixMilli())+1)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return 0, err
	}
	type blockRef struct {
		iss    chain.IssuerID
		height uint64
	}
	due := make(map[blockRef][]uint32)
	var expiryKeys [][]byte
	for it.First(); it.Valid(); it.Next() {
		loc := locationFromSuffix(it.Key())
		ref := blockRef{loc.Issuer, loc.Height}
		due[ref] = append(due[ref], loc.Index)
		expiryKeys = append(expiryKeys, append([]byte(nil), it.Key()...))
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	if len(expiryKeys) == 0 {
		return 0, nil
	}

	s.appendMu.Lock() // entries blobs are rewritten; keep appends out
	defer s.appendMu.Unlock()
	b := s.db.NewBatch()
	defer b.Close()
	pruned := 0
	for ref, idxs := range due {
		for _, i := range idxs {
			e, err := s.get(entryKey(ref.iss, ref.height, i))
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return 0, err
			}
			decoded, err := chain.DecodeEntry(e, len(e))
			if err != nil {
				return 0, fmt.Errorf("%w: entry %d of block %d of %s: %v", ErrCorrupt, i, ref.height, ref.iss.Short(), err)
			}
			if subj := chain.SubjectOf(decoded); subj != nil {
				loc := Location{Issuer: ref.iss, Height: ref.height, Index: i}
				if err := b.Delete(postingKey(prefixSubject, subj, loc), nil); err != nil {
					return 0, err
				}
			}
			if err := b.Delete(entryKey(ref.iss, ref.height, i), nil); err != nil {
				return 0, err
			}
			pruned++
		}
	}
	for _, k := range expiryKeys {
		if err := b.Delete(k, nil); err != nil {
			return 0, err
		}
	}
	if err := s.room(onlyIfNoRoom, b.Len()); err != nil {
		return 0, err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return 0, fmt.Errorf("store: committing prune: %w", err)
	}
	return pruned, nil
}
