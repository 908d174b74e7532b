package store

import (
	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
)

const prefixForked = 'f'

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
