package store

import (
	"errors"
	"fmt"

	"github.com/credmesh/credmesh/chain"
)

// The payment index ('x' keys) has two forms. The long one, of stores
// created before the short one existed, puts the whole 32-byte issuer
// after the lookup hash. The short one, of every store created since
// (marked by the 'm' 'k' key, written with the schema version), puts only
// the issuer's first issuerPrefixLen bytes there: 24 bytes less for every
// payment, in a key of random bytes that neither prefix compression nor
// Snappy can shrink, on entries of about 230 bytes. A store keeps the form
// it was created with; the reader resolves a prefix to the issuer through
// the chains it holds.
//
// Two chains whose issuers share those bytes cannot both be held in the
// short form: the first block of the second is refused with
// ErrIssuerPrefixTaken. Issuers are the members' Ed25519 keys, admitted by
// the network's governance; finding a key whose first 8 bytes equal a given
// member's takes about 2^64 key generations.
const issuerPrefixLen = 8

// ErrIssuerPrefixTaken refuses a chain whose issuer's first bytes are those
// of a chain already held (see lookupform.go).
var ErrIssuerPrefixTaken = errors.New("store: another chain's issuer begins with the same 8 bytes")

var shortLookupMark = []byte{prefixMeta, 'k'}

type issuerPrefix [issuerPrefixLen]byte

func prefixOf(iss chain.IssuerID) issuerPrefix { return issuerPrefix(iss[:issuerPrefixLen]) }

// lookupForm reports whether the payment index is of the short form.
func (s *Store) lookupForm() (bool, error) {
	ok, err := s.has(shortLookupMark)
	if err != nil {
		return false, fmt.Errorf("store: reading the payment index form: %w", err)
	}
	return ok, nil
}

// prefixFree refuses iss, whose chain is new, if a held chain's issuer, or
// one new in the same batch (batch), shares its prefix.
func (s *Store) prefixFree(iss chain.IssuerID, batch map[chain.IssuerID]*chain.SignedHeader) error {
	if !s.shortLookup {
		return nil
	}
	p := prefixOf(iss)
	s.mu.RLock()
	other, taken := s.mu.byPrefix[p]
	s.mu.RUnlock()
	if taken && other != iss {
		return fmt.Errorf("%w: %s and %s", ErrIssuerPrefixTaken, other, iss)
	}
	for b := range batch {
		if b != iss && prefixOf(b) == p {
			return fmt.Errorf("%w: %s and %s", ErrIssuerPrefixTaken, b, iss)
		}
	}
	return nil
}

// lookupIssuer returns the issuer a payment index key names, in either
// form; false if it is of neither or names no chain held.
func (s *Store) lookupIssuer(k []byte) (chain.IssuerID, bool) {
	switch len(k) {
	case 1 + 32 + 32:
		return chain.IssuerID(k[33:]), true
	case 1 + 32 + issuerPrefixLen:
		s.mu.RLock()
		iss, ok := s.mu.byPrefix[issuerPrefix(k[33:])]
		s.mu.RUnlock()
		return iss, ok
	}
	return chain.IssuerID{}, false
}
