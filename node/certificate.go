package node

import (
	"fmt"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/cert"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/chain/witness"
)

// PaymentCertificate makes the offline certificate of the one record
// under orderID from our replica (GET /v1/payments/{order}/certificate):
// the proof our query server would serve a light client, with every
// cosignature we hold of a head covering its block, each later head with
// the block's path into its history. It verifies what it makes against
// the genesis before answering.
func (n *Node) PaymentCertificate(orderID string, sealed bool) ([]byte, error) {
	if err := privacy.CheckOrderID(orderID); err != nil {
		return nil, fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	lookup := privacy.Lookup(n.params.NetworkID, orderID)
	locs, err := n.store.LookupPayment(lookup[:])
	if err != nil {
		return nil, err
	}
	switch {
	case len(locs) == 0:
		return nil, fmt.Errorf("%w: no payment with this order ID in this peer's replica", api.ErrNotFound)
	case len(locs) > 1:
		return nil, fmt.Errorf("%w: %d issuers hold records under this order ID; a certificate is of one (GET /v1/payments/{order} lists them)", api.ErrConflict, len(locs))
	}
	loc := locs[0]
	p, err := n.store.Proof(loc)
	if err != nil {
		return nil, err
	}
	parts := cert.Parts{NetworkID: n.params.NetworkID, GenesisHash: n.opts.Genesis.Hash(), OrderID: orderID, Proof: p}
	if sealed {
		parts.OrderID = ""
	}
	parts.Witnessed = n.witnessedHeads(p.Header)
	c, err := cert.New(parts)
	if err != nil {
		return nil, err
	}
	trust := cert.Trust{NetworkID: n.params.NetworkID, GenesisHash: n.opts.Genesis.Hash(), Members: n.opts.Genesis.Members()}
	if _, err := c.Verify(trust, 0); err != nil {
		return nil, fmt.Errorf("the certificate made from this replica does not verify: %w", err)
	}
	return c.Marshal()
}

// witnessedHeads groups the cosignatures we hold of heads covering block
// by head, with each later head's header and the block's history path;
// heads we do not hold, or that are not of our chain's history, are left
// out.
func (n *Node) witnessedHeads(block *chain.SignedHeader) []cert.Witnessed {
	var out []cert.Witnessed
	at := map[witness.Head]int{}
	for _, c := range n.net.Cosignatures(block.Issuer, block.Height) {
		i, ok := at[c.Head]
		if !ok {
			w := cert.Witnessed{}
			switch {
			case c.Head.Height == block.Height:
				if c.Head.Hash != block.Hash {
					continue
				}
			default:
				h, err := n.store.Header(c.Head.Issuer, c.Head.Height)
				if err != nil || h.Hash != c.Head.Hash {
					continue
				}
				path, err := n.store.HistoryProof(c.Head.Issuer, block.Height, c.Head.Height)
				if err != nil {
					continue
				}
				w.Head, w.HistoryPath = h, path
			}
			i = len(out)
			at[c.Head] = i
			out = append(out, w)
		}
		out[i].Cosignatures = append(out[i].Cosignatures, c)
	}
	return out
}
