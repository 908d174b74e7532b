package store

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
)

// Pending is an entry the builder accepted and has not yet sealed.
type Pending struct {
	Seq   uint64
	Entry []byte
}

// AddPending stores entries under sequence numbers first, first+1, ... and
// returns once they are on disk (fsynced). Concurrent callers share fsyncs.
func (s *Store) AddPending(first uint64, entries [][]byte) error {
	b := s.db.NewBatch()
	defer b.Close()
	for i, e := range entries {
		if err := b.Set(pendingKey(first+uint64(i)), e, nil); err != nil {
			return err
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("store: committing pending entries: %w", err)
	}
	return nil
}

// LoadPending returns every pending entry in sequence order.
func (s *Store) LoadPending() ([]Pending, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixPending}, UpperBound: []byte{prefixPending + 1}})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []Pending
	for it.First(); it.Valid(); it.Next() {
		if len(it.Key()) != 9 {
			return nil, fmt.Errorf("%w: pending key %x", ErrCorrupt, it.Key())
		}
		out = append(out, Pending{Seq: binary.BigEndian.Uint64(it.Key()[1:]), Entry: append([]byte(nil), it.Value()...)})
	}
	return out, it.Error()
}

// AppendSealed stores the builder's own new blocks and removes the pending
// entries with sequence numbers below pendingEnd, in one fsynced batch: after
// a crash either the blocks exist and their entries are no longer pending,
// or neither. The builder checked every entry key against the chain when it
// accepted the entry, so they are not probed again; only the builder writes
// its own chain.
func (s *Store) AppendSealed(vbs []*chain.VerifiedBlock, pendingEnd uint64) error {
	return s.commit(vbs, func(b *pebble.Batch) error {
		return b.DeleteRange(pendingKey(0), pendingKey(pendingEnd), nil)
	}, true, pebble.Sync)
}

// HasKey reports whether issuer's chain already holds an entry with key.
func (s *Store) HasKey(iss chain.IssuerID, key []byte) (bool, error) {
	found, err := s.HasKeys(iss, [][]byte{key})
	if err != nil {
		return false, err
	}
	return found[0], nil
}
