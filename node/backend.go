package node

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/credmesh/credmesh/internal/version"
	"github.com/libp2p/go-libp2p/core/peer"
)

var _ api.Backend = (*Node)(nil)

// Status reports the peer, its connections and every chain it holds.
func (n *Node) Status() api.Status {
	st := api.Status{
		PeerID:      n.net.ID().String(),
		Name:        n.opts.Config.Name,
		Version:     version.String(),
		Network:     n.params.NetworkID,
		GenesisHash: hex.EncodeToString(n.genesisHash()),
		ListenAddrs: n.ListenAddrs(),
		Peers:       len(n.net.Host().Network().Peers()),
		Members:     api.MemberCount{Total: len(n.names), Connected: len(n.net.ConnectedMembers())},
		Chains:      n.chains(),
		Pending:     n.builder.Pending(),
		Disk:        n.diskStatus(),
		PendingLost: n.pendingLost(),
		Recovery:    n.own.status(),
		Forks:       n.forks(),
		Witnessing:  n.witnessing(), // witness.go
	}
	for iss, target := range n.net.Syncing() {
		st.Syncing = append(st.Syncing, api.SyncTarget{Issuer: peerString(iss), Target: target})
	}
	s := n.net.Stats()
	st.Counters = api.Counters{
		RecordsAccepted: n.accepted.Load(), RecordsRefused: n.refused.Load(), BlocksSealed: n.sealed.Load(),
		BlocksReceived: s.BlocksReceived, BlocksStored: s.BlocksStored, BlocksRejected: s.BlocksRejected,
		GossipDrops: s.GossipDrops, SyncedBlocks: s.SyncedBlocks,
	}
	if n.query != nil {
		q := n.query.Stats()
		st.Counters.PaymentLookups, st.Counters.CreditQueries = q.Payments, q.CreditQueries
	}
	st.Store = n.storeHealth()
	st.CreditSource = n.creditSourceStatus()
	return st
}

func (n *Node) genesisHash() []byte {
	h := n.opts.Genesis.Hash()
	return h[:]
}

func (n *Node) chains() []api.ChainStatus {
	forked := n.net.Forked()
	var out []api.ChainStatus
	for iss, h := range n.store.Heads() {
		_, f := forked[iss]
		out = append(out, api.ChainStatus{
			Issuer: peerString(iss), Name: n.nameOf(iss), Height: h.Height,
			Hash: h.Hash.String(), Time: h.Time.UTC(), Forked: f,
		})
	}
	slices.SortFunc(out, func(a, b api.ChainStatus) int {
		if a.Name != b.Name {
			if a.Name < b.Name {
				return -1
			}
			return 1
		}
		if a.Issuer < b.Issuer {
			return -1
		}
		return 1
	})
	return out
}

func peerString(iss chain.IssuerID) string {
	id, err := peerid.FromIssuer(iss)
	if err != nil {
		return iss.String()
	}
	return id.String()
}

// Block describes one block of a chain.
func (n *Node) Block(issuer string, height uint64) (*api.BlockView, error) {
	id, err := peer.Decode(issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a peer ID", api.ErrBadRequest, issuer)
	}
	iss, err := peerid.Issuer(id)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	b, err := n.store.Block(iss, height)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: block %d of %s", api.ErrNotFound, height, issuer)
	}
	if err != nil {
		return nil, err
	}
	v := &api.BlockView{
		Issuer: issuer, Height: b.Height, Hash: b.Hash.String(), Time: b.Time.UTC(),
		EntriesRoot: b.EntriesRoot.String(), Entries: []api.EntryView{},
	}
	if b.Height > 1 {
		v.PrevHash = b.PrevHash.String()
	}
	for _, data := range b.Entries {
		v.Entries = append(v.Entries, describeEntry(data))
	}
	return v, nil
}
