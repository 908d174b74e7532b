package main

import (
	"fmt"
	"io"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/queryproto"
)

// applyCorrections shows a light client's payment as it stands: the latest
// replacement's fields, or withdrawn, with the verified history.
func applyCorrections(v *api.PaymentView, pay *queryproto.Payment) {
	if len(pay.Corrections) == 0 {
		return
	}
	for _, c := range pay.Corrections {
		v.History = append(v.History, api.CorrectionView{
			CorrectionID: c.Entry.CorrectionId, Action: actionName(c.Record != nil), Reason: c.Entry.Reason,
			Height: c.Proof.Header.Height, BlockHash: c.Proof.Header.Hash.String(), At: c.Proof.Header.Time.UTC(), Verified: true,
		})
	}
	cur := pay.Current()
	if cur == nil {
		v.Withdrawn = true
		return
	}
	fixed := node.PaymentView(cur, v.Issuer, v.IssuerName, v.Height, v.BlockHash)
	fixed.History, fixed.Forked = v.History, v.Forked
	*v = *fixed
}

func actionName(replace bool) string {
	if replace {
		return api.ActionReplace
	}
	return api.ActionWithdraw
}

// printHistory prints a record's corrections, oldest first.
func printHistory(out io.Writer, v *api.PaymentView) {
	if v.Withdrawn {
		fmt.Fprintln(out, "  WITHDRAWN by its issuer: not to be relied on")
	}
	for _, c := range v.History {
		fmt.Fprintf(out, "  corrected %s %s at %s, block %d %.16s: %s\n", c.Action, c.CorrectionID, c.At.Format("2006-01-02 15:04:05Z07:00"), c.Height, c.BlockHash, c.Reason)
	}
}
