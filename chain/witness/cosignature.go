package witness

import (
	"fmt"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/merkle"
)

// Cosignature is one witness's cosignature of one chain's head: the head,
// its leaf's place in the witness's statement, the audit path and the
// statement's signature. It is what answers carry.
type Cosignature struct {
	Witness   chain.IssuerID
	Head      Head
	TreeSize  uint64
	Index     uint64
	Path      []chain.Hash
	Signature []byte
}

// CosignatureOf returns the cosignature of chain iss in statement s, and
// false if s does not hold the chain.
func CosignatureOf(s *Statement, tree *merkle.Tree, iss chain.IssuerID) (Cosignature, bool) {
	h, i, ok := s.HeadOf(iss)
	if !ok {
		return Cosignature{}, false
	}
	path, err := tree.Proof(uint64(i))
	if err != nil {
		return Cosignature{}, false
	}
	return Cosignature{Witness: s.Witness, Head: h, TreeSize: uint64(len(s.Heads)), Index: uint64(i), Path: path, Signature: s.Signature}, true
}

// Verify checks that the witness is a member and that its signature covers
// the root the head's leaf and path lead to.
func (c *Cosignature) Verify(networkID string, members chain.Members) error {
	if !members.Contains(c.Witness) {
		return fmt.Errorf("%w: witness %s", ErrNotMember, c.Witness.Short())
	}
	if c.Head.Height == 0 {
		return fmt.Errorf("%w: head at height 0", ErrMalformed)
	}
	root, err := merkle.RootFromInclusionProof(Leaf(c.Head), c.Index, c.TreeSize, c.Path)
	if err != nil {
		return fmt.Errorf("%w: path: %v", ErrMalformed, err)
	}
	return verifySig(networkID, c.Witness, c.TreeSize, root, c.Signature)
}
