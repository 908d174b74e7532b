package cert

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/witness"
)

// Parts are what a certificate is made of, as a light client verified
// them: the cosignatures in any order, grouped by covering head.
type Parts struct {
	NetworkID   string
	GenesisHash chain.Hash
	OrderID     string // "" for a sealed certificate
	Proof       *chain.Proof
	Witnessed   []Witnessed
}

// New makes a certificate of parts in canonical form: it drops the
// issuer's own cosignatures (they do not count), keeps each witness once
// (in the head with the most cosignatures, so that fewer heads and their
// headers are carried), drops heads left without cosignatures, and sorts
// heads by height and cosignatures by witness key. It checks no
// signature: verify the parts first, or Verify the result.
func New(p Parts) (*Cert, error) {
	if p.Proof == nil || p.Proof.Header == nil {
		return nil, invalid("no proof")
	}
	block := p.Proof.Header
	groups := slices.Clone(p.Witnessed)
	slices.SortStableFunc(groups, func(a, b Witnessed) int { return cmp.Compare(len(b.Cosignatures), len(a.Cosignatures)) })
	seen := map[chain.IssuerID]bool{block.Issuer: true}
	byHeight := map[uint64]int{}
	var out []Witnessed
	for _, g := range groups {
		head := g.covering(block)
		at, ok := byHeight[head.Height]
		if ok && headOf(out[at].covering(block)) != headOf(head) {
			continue // another block at a height already held: not ours
		}
		if !ok {
			at = len(out)
			byHeight[head.Height] = at
			w := Witnessed{Head: g.Head, HistoryPath: slices.Clone(g.HistoryPath)}
			if g.Head != nil && g.Head.Height == block.Height {
				w = Witnessed{} // the block itself
			}
			out = append(out, w)
		}
		for _, cs := range g.Cosignatures {
			if seen[cs.Witness] {
				continue
			}
			seen[cs.Witness] = true
			cs.Head = headOf(head)
			out[at].Cosignatures = append(out[at].Cosignatures, cs)
		}
	}
	out = slices.DeleteFunc(out, func(w Witnessed) bool { return len(w.Cosignatures) == 0 })
	for i := range out {
		slices.SortFunc(out[i].Cosignatures, func(a, b witness.Cosignature) int { return bytes.Compare(a.Witness[:], b.Witness[:]) })
	}
	slices.SortFunc(out, func(a, b Witnessed) int { return cmp.Compare(a.covering(block).Height, b.covering(block).Height) })
	pr := *p.Proof
	return &Cert{NetworkID: p.NetworkID, GenesisHash: p.GenesisHash, OrderID: p.OrderID, Proof: pr, Witnessed: out}, nil
}

// Sealed returns a copy of c without its order ID: it proves that the
// issuer published a payment under the order ID's lookup hash, and shows
// what only to whoever holds the order ID.
func (c *Cert) Sealed() *Cert {
	out := *c
	out.OrderID = ""
	return &out
}

// Witnesses returns the number of cosignatures c carries (one per
// witness).
func (c *Cert) Witnesses() int {
	n := 0
	for _, w := range c.Witnessed {
		n += len(w.Cosignatures)
	}
	return n
}

// Trim returns a copy of c whose file is at most maxBytes, keeping at
// least keep cosignatures: it drops cosignatures one at a time from the
// head with the fewest (the highest of those), and a head with none left.
// ok is false if it cannot fit with keep cosignatures.
func (c *Cert) Trim(maxBytes, keep int) (out *Cert, ok bool) {
	out = c.clone()
	for {
		b, err := out.Marshal()
		if err != nil {
			return out, false
		}
		if len(b) <= maxBytes {
			return out, true
		}
		if out.Witnesses() <= keep {
			return out, false
		}
		at := 0
		for i, w := range out.Witnessed {
			if len(w.Cosignatures) <= len(out.Witnessed[at].Cosignatures) {
				at = i
			}
		}
		w := &out.Witnessed[at]
		w.Cosignatures = w.Cosignatures[:len(w.Cosignatures)-1]
		if len(w.Cosignatures) == 0 {
			out.Witnessed = slices.Delete(out.Witnessed, at, at+1)
		}
	}
}

func (c *Cert) clone() *Cert {
	out := *c
	out.Witnessed = make([]Witnessed, len(c.Witnessed))
	for i, w := range c.Witnessed {
		w.Cosignatures = slices.Clone(w.Cosignatures)
		out.Witnessed[i] = w
	}
	return &out
}
