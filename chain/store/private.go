package store

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/store/diskspace"
)

// Private credit records are the credit data an institution keeps only in
// its own store: they are never put in a block, gossiped or synced, and
// leave the peer only inside a signed credit answer (package queryproto).
//
// They live under their own key prefix (see doc.go's layout).
const prefixPrivate = 'v'

// ErrBadPrivate is wrapped by every refusal of PutPrivate for a malformed
// record.
var ErrBadPrivate = errors.New("store: invalid private record")

// ErrPrivateExists is wrapped when PutPrivate is given the ID of a private
// record it already holds about the subject: a private record, like a
// chain entry, is never replaced.
var ErrPrivateExists = errors.New("store: a private record with this ID is already held")

// Bounds of a private record: the largest entry any network's parameters
// allow, and an ID as long as the chain's IDs.
const (
	maxPrivateBytes = 64 << 10
	maxPrivateID    = chain.MaxIDLen
)

func privateKey(subject []byte, id string) []byte {
	k := make([]byte, 0, 1+len(subject)+len(id))
	k = append(k, prefixPrivate)
	k = append(k, subject...)
	return append(k, id...)
}

// checkPrivateID accepts 1 to 128 printable ASCII characters, as the
// chain's IDs.
func checkPrivateID(id string) error {
	if len(id) == 0 || len(id) > maxPrivateID {
		return fmt.Errorf("%w: id has %d bytes, want 1 to %d", ErrBadPrivate, len(id), maxPrivateID)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("%w: id character %d is not printable ASCII", ErrBadPrivate, i+1)
		}
	}
	return nil
}

// PutPrivate stores the private record id about subject. The entry must be
// an encoded chainpb.Entry holding a valid CreditEvent
// (chain.ValidateCreditEvent) whose subject is subject. A record already
// held under the same subject and id is kept and the new one refused with
// an error wrapping ErrPrivateExists, as a chain refuses an entry key it
// holds. The write is fsynced.
func (s *Store) PutPrivate(subject []byte, id string, entry []byte) error {
	if len(subject) != chain.RefSize {
		return fmt.Errorf("%w: subject has %d bytes, want %d", ErrBadPrivate, len(subject), chain.RefSize)
	}
	if err := checkPrivateID(id); err != nil {
		return err
	}
	e, err := chain.DecodeEntry(entry, maxPrivateBytes)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadPrivate, err)
	}
	c := e.GetCreditEvent()
	if c == nil {
		return fmt.Errorf("%w: entry is not a credit event", ErrBadPrivate)
	}
	if err := chain.ValidateCreditEvent(c); err != nil { // DecodeEntry did; kept explicit
		return fmt.Errorf("%w: %w", ErrBadPrivate, err)
	}
	if !bytes.Equal(c.SubjectRef, subject) {
		return fmt.Errorf("%w: the credit event is about another subject", ErrBadPrivate)
	}
	if err := s.room(diskspace.Low, len(entry)); err != nil {
		return err
	}
	key := privateKey(subject, id)
	s.privateMu.Lock()
	defer s.privateMu.Unlock()
	switch held, err := s.has(key); {
	case err != nil:
		return err
	case held:
		return fmt.Errorf("%w (%s)", ErrPrivateExists, id)
	}
	return s.db.Set(key, entry, pebble.Sync)
}

// HasPrivate reports whether a private record id about subject is held.
func (s *Store) HasPrivate(subject []byte, id string) (bool, error) {
	if len(subject) != chain.RefSize {
		return false, fmt.Errorf("%w: subject has %d bytes, want %d", ErrBadPrivate, len(subject), chain.RefSize)
	}
	return s.has(privateKey(subject, id))
}

// DeletePrivate removes the private record id about subject, if any; the
// write is fsynced. Negative records must go once they expire, as on the
// chain. It fails with ErrDiskFull only if the disk has no room at all
// (or the database is open read-only).
func (s *Store) DeletePrivate(subject []byte, id string) error {
	if len(subject) != chain.RefSize {
		return fmt.Errorf("%w: subject has %d bytes, want %d", ErrBadPrivate, len(subject), chain.RefSize)
	}
	key := privateKey(subject, id)
	if err := s.room(onlyIfNoRoom, len(key)); err != nil {
		return err
	}
	s.privateMu.Lock()
	defer s.privateMu.Unlock()
	return s.db.Delete(key, pebble.Sync)
}

// Private returns the encoded entries of every private record about
// subject, in ID order.
func (s *Store) Private(subject []byte) ([][]byte, error) {
	if len(subject) != chain.RefSize {
		return nil, fmt.Errorf("%w: subject has %d bytes, want %d", ErrBadPrivate, len(subject), chain.RefSize)
	}
	prefix := privateKey(subject, "")
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, s.readErr(err)
	}
	defer it.Close()
	var out [][]byte
	for it.First(); it.Valid(); it.Next() {
		out = append(out, append([]byte(nil), it.Value()...))
	}
	return out, s.readErr(it.Error())
}
