package store

import (
	"encoding/binary"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
)

// Decisions calls fn with the location of every proposal, then every
// approval, on iss's chain (by entry key), until fn returns false. They
// are found through the entry-key index, without reading other entries,
// so a peer rebuilds its membership history at start cheaply.
func (s *Store) Decisions(iss chain.IssuerID, fn func(Location) bool) error {
	for _, kind := range []byte{chain.KeyProposal, chain.KeyApproval} {
		prefix := entryKeyKey(iss, []byte{kind})
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
		if err != nil {
			return s.readErr(err)
		}
		for it.First(); it.Valid(); it.Next() {
			v := it.Value()
			if len(v) != 12 {
				it.Close()
				return s.corruptf("key index value of %s", DescribeKey(it.Key()))
			}
			if !fn(Location{Issuer: iss, Height: binary.BigEndian.Uint64(v), Index: binary.BigEndian.Uint32(v[8:])}) {
				return it.Close()
			}
		}
		if err := it.Close(); err != nil {
			return s.readErr(err)
		}
	}
	return nil
}
