package store

import (
	"errors"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
)

// Witnessing keys (chain/witness; docs/PROTOCOL.md 17).
const (
	// prefixCosigned holds the last statement this peer cosigned, under
	// the one key {prefixCosigned}: the never-regress rule reads it back
	// after a restart.
	prefixCosigned = 'o'
	// prefixWitness holds the newest verified statement of each witness,
	// by witness key.
	prefixWitness = 'g'
	// prefixWitnessForked holds the first equivocation evidence against
	// each witness, by witness key.
	prefixWitnessForked = 'j'
)

// SaveOwnCosigned keeps the statement this peer is about to gossip,
// fsynced: it must be durable before it is published, so that a restart
// never cosigns below it.
func (s *Store) SaveOwnCosigned(stored []byte) error {
	if err := s.room(onlyIfNoRoom, len(stored)); err != nil {
		return err
	}
	return s.db.Set([]byte{prefixCosigned}, stored, pebble.Sync)
}

// OwnCosigned returns the last statement SaveOwnCosigned kept, or nil if
// this peer never cosigned.
func (s *Store) OwnCosigned() ([]byte, error) {
	v, err := s.get([]byte{prefixCosigned})
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return v, err
}

// SaveWitnessStatement keeps the newest verified statement of witness w
// (not fsynced: a lost one is replaced by the witness's next).
func (s *Store) SaveWitnessStatement(w chain.IssuerID, stored []byte) error {
	if err := s.room(onlyIfNoRoom, len(stored)); err != nil {
		return err
	}
	return s.db.Set(append([]byte{prefixWitness}, w[:]...), stored, pebble.NoSync)
}

// WitnessStatements returns the kept statement of every witness.
func (s *Store) WitnessStatements() (map[chain.IssuerID][]byte, error) {
	return s.byIssuer(prefixWitness)
}

// SaveWitnessEvidence keeps evidence against witness w; the first is kept.
func (s *Store) SaveWitnessEvidence(w chain.IssuerID, data []byte) error {
	key := append([]byte{prefixWitnessForked}, w[:]...)
	if ok, err := s.has(key); err != nil || ok {
		return err
	}
	if err := s.room(onlyIfNoRoom, len(data)); err != nil {
		return err
	}
	return s.db.Set(key, data, pebble.Sync)
}

// WitnessEvidence returns the kept evidence against every witness.
func (s *Store) WitnessEvidence() (map[chain.IssuerID][]byte, error) {
	return s.byIssuer(prefixWitnessForked)
}

// byIssuer reads every value under prefix p keyed by an issuer.
func (s *Store) byIssuer(p byte) (map[chain.IssuerID][]byte, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{p}, UpperBound: []byte{p + 1}})
	if err != nil {
		return nil, s.readErr(err)
	}
	defer it.Close()
	out := make(map[chain.IssuerID][]byte)
	for it.First(); it.Valid(); it.Next() {
		if len(it.Key()) != 33 {
			return nil, s.corruptf("witness record %x", it.Key())
		}
		out[chain.IssuerID(it.Key()[1:])] = append([]byte(nil), it.Value()...)
	}
	return out, s.readErr(it.Error())
}
