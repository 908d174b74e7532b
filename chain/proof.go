package chain

import (
	"fmt"

	"github.com/credmesh/credmesh/chain/merkle"
)

// Proof shows that an entry is in a block its issuer signed: the entry
// bytes, the signed header and the Merkle audit path from the entry's leaf
// to the header's entries root. A light client checks it with Verify and
// needs to trust no one but the genesis.
type Proof struct {
	Entry  []byte
	Index  uint32
	Path   []Hash
	Header *SignedHeader
}

// Verify checks the header's network, issuer membership and signature, and
// that the entry is leaf Index of the header's entries root.
func (p *Proof) Verify(members Members, networkID string) error {
	return p.VerifyWith(members, networkID, (*SignedHeader).VerifySignature)
}

// VerifyWith is Verify with the header's signature checked by verifySig,
// which must be as strict as SignedHeader.VerifySignature: a light client
// that checks many proofs of one block passes a cache of the headers whose
// signatures it has verified (keyed by the header's hash and signature).
func (p *Proof) VerifyWith(members Members, networkID string, verifySig func(*SignedHeader) error) error {
	h := p.Header
	if h == nil {
		return fmt.Errorf("%w: proof has no header", ErrMalformed)
	}
	if h.NetworkID != networkID {
		return fmt.Errorf("%w: header of %q", ErrWrongNetwork, h.NetworkID)
	}
	if !members.Contains(h.Issuer) {
		return fmt.Errorf("%w: %s", ErrNotMember, h.Issuer.Short())
	}
	if err := verifySig(h); err != nil {
		return err
	}
	if err := merkle.VerifyInclusion(merkle.LeafHash(p.Entry), uint64(p.Index), uint64(h.EntryCount), p.Path, h.EntriesRoot); err != nil {
		return fmt.Errorf("%w: %w", ErrBadRoot, err)
	}
	return nil
}
