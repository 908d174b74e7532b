package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
)

// pruneBatch is how many entries one pruning batch drops: small enough that
// a batch commits in well under a millisecond beside the appends.
const pruneBatch = 256

// Prune drops the bytes of every negative entry that expired at or before
// now, keeping its leaf hash (so the block still proves its other entries)
// and its key (so the key is never reused, and sync can ship the block with
// the entry as its leaf hash and key). It returns how many entries it
// dropped, and stops early, with ctx's error, when ctx ends.
//
// It works in batches of pruneBatch entries, each one atomic (an entry,
// its subject posting and its expiry key go together) and none of them
// holding the append lock: pruning rewrites only entries of blocks already
// stored, which no append touches. The batches are not fsynced; after a
// power loss the expiry keys of a lost batch are still there, and the next
// pass prunes those entries again.
func (s *Store) Prune(ctx context.Context, now time.Time) (int, error) {
	upper := binary.BigEndian.AppendUint64([]byte{prefixExpiry}, uint64(now.UnixMilli())+1)
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		keys, pruned, err := s.pruneBatch(upper)
		total += pruned
		if err != nil || keys == 0 {
			return total, err
		}
	}
}

// pruneBatch prunes up to pruneBatch of the due entries, the oldest first.
// It returns how many expiry keys it removed (0 when none is due) and how
// many entries it dropped.
func (s *Store) pruneBatch(upper []byte) (keys, pruned int, err error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixExpiry}, UpperBound: upper})
	if err != nil {
		return 0, 0, s.readErr(err)
	}
	var due [][]byte
	for it.First(); it.Valid() && len(due) < pruneBatch; it.Next() {
		due = append(due, append([]byte(nil), it.Key()...))
	}
	if err := it.Close(); err != nil {
		return 0, 0, s.readErr(err)
	}
	if len(due) == 0 {
		return 0, 0, nil
	}
	b := s.db.NewBatch()
	defer b.Close()
	for _, k := range due {
		dropped, err := s.pruneEntry(b, locationFromSuffix(k))
		if err != nil {
			return 0, 0, err
		}
		if dropped {
			pruned++
		}
		if err := b.Delete(k, nil); err != nil {
			return 0, 0, err
		}
	}
	if err := s.room(onlyIfNoRoom, b.Len()); err != nil {
		return 0, 0, err
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return 0, 0, fmt.Errorf("store: committing prune: %w", err)
	}
	return len(due), pruned, nil
}

// pruneEntry adds to b the removal of the entry at loc and of its subject
// posting, and the record of its key by location (so the block can still
// be shipped, pruned.go), and reports whether there was an entry to remove.
func (s *Store) pruneEntry(b *pebble.Batch, loc Location) (bool, error) {
	key := entryKey(loc.Issuer, loc.Height, loc.Index)
	e, err := s.get(key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	decoded, err := chain.DecodeEntry(e, len(e))
	if err != nil {
		return false, s.corruptf("entry %d of block %d of %s: %v", loc.Index, loc.Height, loc.Issuer.Short(), err)
	}
	if subj := chain.SubjectOf(decoded); subj != nil {
		if err := b.Delete(postingKey(prefixSubject, subj, loc), nil); err != nil {
			return false, err
		}
	}
	if err := b.Set(prunedKey(loc.Issuer, loc.Height, loc.Index), chain.EntryKey(decoded), nil); err != nil {
		return false, err
	}
	return true, b.Delete(key, nil)
}
