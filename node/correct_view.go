package node

import (
	"fmt"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/store"
)

// correctionHistory reads and verifies every correction of iss's entry
// under key, oldest first: the views, and the entry as it stands (the
// latest replacement; nil when withdrawn; unchanged when never corrected).
func (n *Node) correctionHistory(iss chain.IssuerID, key []byte, cur *chainpb.Entry) ([]api.CorrectionView, *chainpb.Entry, error) {
	var locs []store.Location
	if err := n.store.CorrectionsOf(iss, key, func(l store.Location) bool {
		locs = append(locs, l)
		return true
	}); err != nil {
		return nil, nil, err
	}
	var out []api.CorrectionView
	for _, loc := range locs {
		p, err := n.store.Proof(loc)
		if err != nil {
			return nil, nil, err
		}
		if err := p.Verify(n.opts.Genesis.Members(), n.params.NetworkID); err != nil {
			return nil, nil, fmt.Errorf("stored proof of %s's correction does not verify: %w", iss.Short(), err)
		}
		e, err := chain.DecodeEntry(p.Entry, len(p.Entry))
		if err != nil || e.GetCorrection() == nil {
			return nil, nil, fmt.Errorf("stored entry of %s at %d/%d is not a correction", iss.Short(), loc.Height, loc.Index)
		}
		c := e.GetCorrection()
		out = append(out, api.CorrectionView{
			CorrectionID: c.CorrectionId, Action: correctionActionName(c.Action), Reason: c.Reason,
			Height: loc.Height, BlockHash: p.Header.Hash.String(), At: p.Header.Time.UTC(), Verified: true,
		})
		cur = c.Replacement // nil on a withdrawal
	}
	return out, cur, nil
}

// correctPayment applies the corrections of a payment to its view.
func (n *Node) correctPayment(v *api.PaymentView, iss chain.IssuerID, orderID string, e *chainpb.Entry) error {
	hist, cur, err := n.correctionHistory(iss, chain.EntryKey(e), e)
	if err != nil || len(hist) == 0 {
		return err
	}
	v.History = hist
	if cur == nil {
		v.Withdrawn = true
		return nil
	}
	rec, err := chain.OpenPayment(n.params.NetworkID, orderID, iss, cur.GetPayment())
	if err != nil {
		return err
	}
	fixed := PaymentView(rec, v.Issuer, v.IssuerName, v.Height, v.BlockHash)
	fixed.History, fixed.Forked = hist, v.Forked
	*v = *fixed
	return nil
}
