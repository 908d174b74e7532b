package node

import (
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/governance"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/config"
)

// loadMembership returns the membership history of the genesis and every
// decision entry st holds, found through the store's entry-key index.
func loadMembership(g *config.Genesis, st *store.Store) (*governance.View, error) {
	v := g.MembershipView()
	maxEntry := g.ChainParams().MaxEntryBytes
	for iss, head := range st.Heads() {
		v.LoadHead(iss, head.Time)
		var locs []store.Location
		if err := st.Decisions(iss, func(l store.Location) bool { locs = append(locs, l); return true }); err != nil {
			return nil, err
		}
		for _, l := range locs {
			data, err := st.Entry(l)
			if err != nil {
				return nil, err
			}
			h, err := st.Header(iss, l.Height)
			if err != nil {
				return nil, err
			}
			e, err := chain.DecodeEntry(data, maxEntry)
			if err != nil {
				return nil, err
			}
			v.Load(iss, h.Time, data, e)
		}
	}
	v.Refresh()
	return v, nil
}

// epochAt returns the members and chain parameters in force at t.
func (n *Node) epochAt(t time.Time) (chain.Members, chain.Params) {
	e := n.view.At(t)
	return e.ChainMembers(), e.ChainParams(n.params)
}

// noteMembership records a stored block's decisions and time, and logs a
// change of the membership history.
func (n *Node) noteMembership(b *chain.Block) {
	if n.view.AddStored(b, n.params.MaxEntryBytes) {
		h := n.view.History()
		n.log.Info("membership decisions changed", "epochs", len(h.Epochs()), "proposals", len(h.Outcomes()))
	}
}

// Membership returns the node's membership over time.
func (n *Node) Membership() *governance.View { return n.view }
