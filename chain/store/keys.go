package store

import (
	"bytes"
	"cmp"
	"encoding/binary"

	"github.com/credmesh/credmesh/chain"
)

const (
	prefixHead    = 'c'
	prefixHeader  = 'h'
	prefixEntries = 'e'
	prefixTree    = 't'
	prefixLookup  = 'x'
	prefixKey     = 'k'
	prefixSubject = 's'
	prefixQuerier = 'q'
	prefixExpiry  = 'p'
	prefixFix     = 'w'
	prefixMeta    = 'm'
)

// Location is where an entry sits: its issuer's chain, block and index.
type Location struct {
	Issuer chain.IssuerID
	Height uint64
	Index  uint32
}

// CompareLocations orders locations by issuer key bytes, then height, then
// index: the order every answer lists the records under one key in.
func CompareLocations(a, b Location) int {
	if c := bytes.Compare(a.Issuer[:], b.Issuer[:]); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Height, b.Height); c != 0 {
		return c
	}
	return cmp.Compare(a.Index, b.Index)
}

func headKey(iss chain.IssuerID) []byte {
	return append([]byte{prefixHead}, iss[:]...)
}

func blockKey(prefix byte, iss chain.IssuerID, height uint64) []byte {
	k := make([]byte, 0, 1+32+8)
	k = append(k, prefix)
	k = append(k, iss[:]...)
	return binary.BigEndian.AppendUint64(k, height)
}

// entryKey is where entry index of a block is stored.
func entryKey(iss chain.IssuerID, height uint64, index uint32) []byte {
	return binary.BigEndian.AppendUint32(blockKey(prefixEntries, iss, height), index)
}

// lookupKey is the payment index key of the long form: the whole issuer
// after the lookup hash (stores created before the short form).
func lookupKey(lookup []byte, iss chain.IssuerID) []byte {
	k := make([]byte, 0, 1+32+32)
	k = append(k, prefixLookup)
	k = append(k, lookup...)
	return append(k, iss[:]...)
}

// shortLookupKey is the payment index key of the short form: the first
// issuerPrefixLen bytes of the issuer after the lookup hash (see
// lookupform.go).
func shortLookupKey(lookup []byte, iss chain.IssuerID) []byte {
	k := make([]byte, 0, 1+32+issuerPrefixLen)
	k = append(k, prefixLookup)
	k = append(k, lookup...)
	return append(k, iss[:issuerPrefixLen]...)
}

func entryKeyKey(iss chain.IssuerID, key []byte) []byte {
	k := make([]byte, 0, 1+32+len(key))
	k = append(k, prefixKey)
	k = append(k, iss[:]...)
	return append(k, key...)
}

// keyIndexKey returns where an entry key's location is indexed: payments by
// lookup hash (so any peer finds them without the issuer), others by issuer.
func (s *Store) keyIndexKey(iss chain.IssuerID, key []byte) []byte {
	return indexKeyFor(s.shortLookup, iss, key)
}

// indexKeyFor is keyIndexKey for a store whose payment index is of the
// short form or not.
func indexKeyFor(short bool, iss chain.IssuerID, key []byte) []byte {
	switch {
	case len(key) != 1+32 || key[0] != chain.KeyPayment:
		return entryKeyKey(iss, key)
	case short:
		return shortLookupKey(key[1:], iss)
	default:
		return lookupKey(key[1:], iss)
	}
}

// postingKey is prefix, a 32-byte or 8-byte sort field, then the location.
func postingKey(prefix byte, field []byte, loc Location) []byte {
	k := make([]byte, 0, 1+len(field)+32+8+4)
	k = append(k, prefix)
	k = append(k, field...)
	k = append(k, loc.Issuer[:]...)
	k = binary.BigEndian.AppendUint64(k, loc.Height)
	return binary.BigEndian.AppendUint32(k, loc.Index)
}

// locationFromSuffix decodes issuer, height, index from the last 44 bytes.
func locationFromSuffix(k []byte) Location {
	s := k[len(k)-44:]
	var loc Location
	copy(loc.Issuer[:], s[:32])
	loc.Height = binary.BigEndian.Uint64(s[32:40])
	loc.Index = binary.BigEndian.Uint32(s[40:44])
	return loc
}

func encodeLocation(height uint64, index uint32) []byte {
	v := make([]byte, 12)
	binary.BigEndian.PutUint64(v, height)
	binary.BigEndian.PutUint32(v[8:], index)
	return v
}

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}
