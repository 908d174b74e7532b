package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
)

const (
	prefixForked = 'f'
	prefixAck    = 'a'
)

// SaveEvidence keeps verified equivocation evidence against an issuer; the
// first evidence per issuer is kept.
func (s *Store) SaveEvidence(ev *chain.Evidence) error {
	key := append([]byte{prefixForked}, ev.A.Issuer[:]...)
	if ok, err := s.has(key); err != nil || ok {
		return err
	}
	data := ev.Marshal()
	if err := s.room(onlyIfNoRoom, len(data)); err != nil {
		return err
	}
	return s.db.Set(key, data, pebble.Sync)
}

// Evidence returns the kept evidence of every forked issuer.
func (s *Store) Evidence() (map[chain.IssuerID]*chain.Evidence, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixForked}, UpperBound: []byte{prefixForked + 1}})
	if err != nil {
		return nil, s.readErr(err)
	}
	defer it.Close()
	out := make(map[chain.IssuerID]*chain.Evidence)
	for it.First(); it.Valid(); it.Next() {
		ev, err := chain.DecodeEvidence(it.Value())
		if err != nil || len(it.Key()) != 33 {
			return nil, s.corruptf("evidence record %x", it.Key())
		}
		out[chain.IssuerID(it.Key()[1:])] = ev
	}
	return out, s.readErr(it.Error())
}

// EvidenceOf returns the evidence kept against iss, or nil (and no error)
// if iss is not known to have forked. Answers about an issuer's records
// carry it, so that a light client learns of the fork.
func (s *Store) EvidenceOf(iss chain.IssuerID) (*chain.Evidence, error) {
	key := append([]byte{prefixForked}, iss[:]...)
	v, err := s.get(key)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ev, err := chain.DecodeEvidence(v)
	if err != nil {
		return nil, s.corruptf("evidence record %x", key)
	}
	return ev, nil
}

// EvidenceAck is an operator's record that the fork of an issuer was
// investigated (credmesh evidence ack). It is local to this peer and
// changes nothing else: the evidence stays, is served and gossiped, and the
// issuer stays forked.
type EvidenceAck struct {
	At   time.Time
	Note string
}

// MaxAckNoteBytes bounds an acknowledgement's note.
const MaxAckNoteBytes = 1024

// ErrNoEvidence is an acknowledgement of a fork we hold no evidence of.
var ErrNoEvidence = errors.New("store: no equivocation evidence against this issuer")

// AckEvidence records that the fork of iss was investigated; a later
// acknowledgement replaces an earlier one. The note must be non-empty
// UTF-8 of at most MaxAckNoteBytes.
func (s *Store) AckEvidence(iss chain.IssuerID, ack EvidenceAck) error {
	switch {
	case ack.Note == "":
		return errors.New("store: an acknowledgement needs a note")
	case len(ack.Note) > MaxAckNoteBytes:
		return fmt.Errorf("store: note of %d bytes, limit %d", len(ack.Note), MaxAckNoteBytes)
	case !utf8.ValidString(ack.Note):
		return errors.New("store: the note is not UTF-8")
	}
	ok, err := s.has(append([]byte{prefixForked}, iss[:]...))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w %s", ErrNoEvidence, iss.Short())
	}
	v := binary.BigEndian.AppendUint64(nil, uint64(ack.At.UnixMilli()))
	v = append(v, ack.Note...)
	if err := s.room(onlyIfNoRoom, len(v)); err != nil {
		return err
	}
	return s.db.Set(append([]byte{prefixAck}, iss[:]...), v, pebble.Sync)
}

// EvidenceAcks returns the acknowledgement of every fork acknowledged.
func (s *Store) EvidenceAcks() (map[chain.IssuerID]EvidenceAck, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixAck}, UpperBound: []byte{prefixAck + 1}})
	if err != nil {
		return nil, s.readErr(err)
	}
	defer it.Close()
	out := make(map[chain.IssuerID]EvidenceAck)
	for it.First(); it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) != 33 || len(v) < 8 || !utf8.Valid(v[8:]) {
			return nil, s.corruptf("evidence acknowledgement %x", k)
		}
		out[chain.IssuerID(k[1:])] = EvidenceAck{
			At:   time.UnixMilli(int64(binary.BigEndian.Uint64(v))),
			Note: string(v[8:]),
		}
	}
	return out, s.readErr(it.Error())
}
