package store

import (
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
)

// prefixDispute indexes every subject's dispute by the disputed entry's
// issuer: 'u' || issuer || location. The issuer's open and overdue
// disputes are read from it (node metrics, reports).
const prefixDispute = 'u'

// disputePosting is the index key of e at loc, or nil if e is no dispute.
func disputePosting(e *chainpb.Entry, loc Location) []byte {
	d := e.GetDispute()
	if d == nil {
		return nil
	}
	return postingKey(prefixDispute, d.Issuer, loc)
}

// DisputesAgainst calls fn with the location of every dispute of an entry
// of iss, on every chain, until fn returns false.
func (s *Store) DisputesAgainst(iss chain.IssuerID, fn func(Location) bool) error {
	return s.postings(append([]byte{prefixDispute}, iss[:]...), fn)
}
