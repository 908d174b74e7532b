package store

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
)

// Header returns the header of issuer's block at height. Recently read
// headers come from a cache (read_cache.go) and are shared: the caller
// must not modify the header.
func (s *Store) Header(iss chain.IssuerID, height uint64) (*chain.SignedHeader, error) {
	if h := s.headers.get(iss, height); h != nil {
		return h, nil
	}
	v, err := s.get(blockKey(prefixHeader, iss, height))
	if err != nil {
		return nil, fmt.Errorf("header %d of %s: %w", height, iss.Short(), err)
	}
	h, err := chain.UnmarshalSignedHeader(v)
	if err != nil {
		return nil, s.corruptf("header %d of %s: %v", height, iss.Short(), err)
	}
	if h.Issuer != iss || h.Height != height {
		return nil, s.corruptf("header %d of %s is %d of %s", height, iss.Short(), h.Height, h.Issuer.Short())
	}
	s.headers.put(h)
	return h, nil
}

// Block returns issuer's block at height. Entries pruned after their expiry
// come back as nil, and stand in Block.Pruned as their leaf hash and key
// (chain.PrunedEntry): the leaf hashes still prove the rest, and the block
// validates with chain.ValidateSynced.
func (s *Store) Block(iss chain.IssuerID, height uint64) (*chain.Block, error) {
	h, err := s.Header(iss, height)
	if err != nil {
		return nil, err
	}
	entries, err := s.entries(iss, height, int(h.EntryCount))
	if err != nil {
		return nil, err
	}
	pruned, err := s.prunedEntries(h, entries)
	if err != nil {
		return nil, err
	}
	return &chain.Block{SignedHeader: h, Entries: entries, Pruned: pruned}, nil
}

// entries reads the entries of a block; pruned ones come back nil.
func (s *Store) entries(iss chain.IssuerID, height uint64, count int) ([][]byte, error) {
	prefix := blockKey(prefixEntries, iss, height)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, s.readErr(err)
	}
	defer it.Close()
	out := make([][]byte, count)
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != len(prefix)+4 {
			return nil, s.corruptf("entry key %x", k)
		}
		i := binary.BigEndian.Uint32(k[len(prefix):])
		if int(i) >= count {
			return nil, s.corruptf("entry %d of block %d of %s, which has %d", i, height, iss.Short(), count)
		}
		out[i] = append([]byte(nil), it.Value()...)
	}
	return out, s.readErr(it.Error())
}

// LocateKey returns where issuer's entry with the given key sits.
func (s *Store) LocateKey(iss chain.IssuerID, key []byte) (Location, error) {
	v, err := s.get(s.keyIndexKey(iss, key))
	if err != nil {
		return Location{}, err
	}
	height, index, ok := decodeIndexValue(v)
	if !ok {
		return Location{}, s.corruptf("key index value of %s", DescribeKey(s.keyIndexKey(iss, key)))
	}
	return Location{Issuer: iss, Height: height, Index: index}, nil
}

// LookupPayment returns the location of every payment indexed under the
// lookup hash: normally one, one per issuer at most.
func (s *Store) LookupPayment(lookup []byte) ([]Location, error) {
	prefix := append([]byte{prefixLookup}, lookup...)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, s.readErr(err)
	}
	defer it.Close()
	var out []Location
	for it.First(); it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		iss, ok := s.lookupIssuer(k)
		height, index, vok := decodeIndexValue(v)
		if !ok || !vok {
			return nil, s.corruptf("%s", DescribeKey(k))
		}
		out = append(out, Location{Issuer: iss, Height: height, Index: index})
	}
	return out, s.readErr(it.Error())
}

// BySubject calls fn with the location of every entry about subject, in key
// order (by issuer, then height), until fn returns false.
func (s *Store) BySubject(subject []byte, fn func(Location) bool) error {
	return s.postings(append([]byte{prefixSubject}, subject...), fn)
}

// ReceiptsByQuerier calls fn with the location of every receipt of a query
// that querier made, until fn returns false.
func (s *Store) ReceiptsByQuerier(querier chain.IssuerID, fn func(Location) bool) error {
	return s.postings(append([]byte{prefixQuerier}, querier[:]...), fn)
}

// CorrectionsOf calls fn with the location of every correction of issuer's
// entry with the given key, oldest first, until fn returns false.
func (s *Store) CorrectionsOf(iss chain.IssuerID, key []byte, fn func(Location) bool) error {
	p := append(append([]byte{prefixFix}, iss[:]...), key...)
	return s.postings(p, fn)
}

func (s *Store) postings(prefix []byte, fn func(Location) bool) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return s.readErr(err)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		if len(it.Key()) != len(prefix)+44 {
			continue // a longer key under a shorter prefix (corrections by key)
		}
		if !fn(locationFromSuffix(it.Key())) {
			break
		}
	}
	return s.readErr(it.Error())
}
