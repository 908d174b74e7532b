package node

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/credmesh/credmesh/records"
	"github.com/libp2p/go-libp2p/core/peer"
)

var _ api.Explorer = (*Node)(nil)

// maxHashScan bounds the headers BlockByHash reads: the store keeps no
// index by block hash, so a search walks every chain down from its head.
const maxHashScan = 200_000

func (n *Node) issuerOf(issuer string) (chain.IssuerID, error) {
	id, err := peer.Decode(issuer)
	if err != nil {
		return chain.IssuerID{}, fmt.Errorf("%w: %q is not a peer ID", api.ErrBadRequest, issuer)
	}
	iss, err := peerid.Issuer(id)
	if err != nil {
		return chain.IssuerID{}, fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	return iss, nil
}

func hexArg(what, s string, size int) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) == 0 || (size > 0 && len(b) != size) {
		if size > 0 {
			return nil, fmt.Errorf("%w: the %s must be %d hex digits", api.ErrBadRequest, what, 2*size)
		}
		return nil, fmt.Errorf("%w: the %s must be hex digits", api.ErrBadRequest, what)
	}
	return b, nil
}

// Blocks lists a chain's blocks, newest first, below height before (0:
// from the head).
func (n *Node) Blocks(issuer string, before uint64, limit int) (*api.BlockList, error) {
	iss, err := n.issuerOf(issuer)
	if err != nil {
		return nil, err
	}
	if _, ok := n.names[iss]; !ok && !n.view.Known(iss) {
		return nil, fmt.Errorf("%w: %s is no member of this network", api.ErrNotFound, issuer)
	}
	v := &api.BlockList{Issuer: issuer, Name: n.nameOf(iss)}
	head := n.store.Head(iss)
	if head == nil {
		return v, nil
	}
	v.Head = head.Height
	top := head.Height
	if before != 0 && before-1 < top {
		top = before - 1
	}
	for h := top; h >= 1 && len(v.Blocks) < limit; h-- {
		b, err := n.store.Block(iss, h)
		if errors.Is(err, store.ErrNotFound) {
			break
		}
		if err != nil {
			return nil, err
		}
		s := api.BlockSummary{Height: b.Height, Hash: b.Hash.String(), Time: b.Time.UTC(), Entries: len(b.Entries), Kinds: map[string]int{}}
		if b.Height > 1 {
			s.PrevHash = b.PrevHash.String()
		}
		for _, e := range b.Entries {
			s.Kinds[describeEntry(e).Kind]++
		}
		v.Blocks = append(v.Blocks, s)
		if h > 1 {
			v.NextBefore = h
		} else {
			v.NextBefore = 0
		}
	}
	return v, nil
}

// BlockByHash walks every chain down from its head for the block with
// the hash (at most maxHashScan headers in all).
func (n *Node) BlockByHash(hash string) (*api.BlockView, error) {
	want, err := hexArg("block hash", hash, 32)
	if err != nil {
		return nil, err
	}
	read := 0
	for iss, head := range n.store.Heads() {
		for h := head.Height; h >= 1; h-- {
			if read++; read > maxHashScan {
				return nil, fmt.Errorf("%w: no block with this hash among the newest %d blocks of this peer's replica", api.ErrNotFound, maxHashScan)
			}
			sh, err := n.store.Header(iss, h)
			if err != nil {
				return nil, err
			}
			if bytes.Equal(sh.Hash[:], want) {
				return n.Block(peerString(iss), h)
			}
		}
	}
	return nil, fmt.Errorf("%w: no block with this hash in this peer's replica", api.ErrNotFound)
}

// EntriesByKey finds the entry with the key on every chain held.
func (n *Node) EntriesByKey(key string) (*api.EntryLookup, error) {
	k, err := hexArg("entry key", key, 0)
	if err != nil {
		return nil, err
	}
	v := &api.EntryLookup{Key: hex.EncodeToString(k), Entries: []api.EntryLocation{}}
	for iss := range n.store.Heads() {
		loc, err := n.store.LocateKey(iss, k)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		data, err := n.store.Entry(loc)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		sh, err := n.store.Header(iss, loc.Height)
		if err != nil {
			return nil, err
		}
		v.Entries = append(v.Entries, api.EntryLocation{
			Issuer: peerString(iss), Name: n.nameOf(iss), Height: loc.Height, Index: loc.Index,
			BlockHash: sh.Hash.String(), Entry: describeEntry(data),
		})
	}
	if len(v.Entries) == 0 {
		return nil, fmt.Errorf("%w: no entry with this key in this peer's replica", api.ErrNotFound)
	}
	slices.SortFunc(v.Entries, func(a, b api.EntryLocation) int { return strings.Compare(a.Issuer, b.Issuer) })
	return v, nil
}

// Proofs answers what the query protocol's payment lookup answers a light
// client (PROTOCOL.md 11.4), unverified: the page verifies it.
func (n *Node) Proofs(lookup string) (*api.ProofBundle, error) {
	l, err := hexArg("lookup hash", lookup, 32)
	if err != nil {
		return nil, err
	}
	locs, err := n.store.LookupPayment(l)
	if err != nil {
		return nil, err
	}
	if len(locs) == 0 {
		return nil, fmt.Errorf("%w: no payment under this lookup hash in this peer's replica; it may be behind", api.ErrNotFound)
	}
	slices.SortFunc(locs, store.CompareLocations)
	v := &api.ProofBundle{Lookup: hex.EncodeToString(l)}
	for _, loc := range locs {
		p, err := n.store.Proof(loc)
		if err != nil {
			return nil, err
		}
		pb := api.ProofBytes{Entry: hex.EncodeToString(p.Entry), Index: p.Index, Path: make([]string, len(p.Path)), Header: headerBytes(p.Header)}
		for i, h := range p.Path {
			pb.Path[i] = h.String()
		}
		v.Proofs = append(v.Proofs, pb)
		if ev := n.net.EvidenceOf(loc.Issuer); ev != nil {
			v.Evidence = append(v.Evidence, api.EvidenceBytes{A: headerBytes(ev.A), B: headerBytes(ev.B)})
		}
	}
	return v, nil
}

func headerBytes(h *chain.SignedHeader) api.HeaderBytes {
	return api.HeaderBytes{Header: hex.EncodeToString(h.Raw), Signature: hex.EncodeToString(h.Signature)}
}

// Genesis returns the genesis file's exact bytes.
func (n *Node) Genesis() []byte {
	b, err := n.opts.Genesis.Marshal()
	if err != nil {
		n.log.Error("encoding the genesis", "err", err)
	}
	return b
}

// NetworkView shows every genesis member: roles, connection, round trip, our
// replica of its chain and how far behind it is.
func (n *Node) NetworkView() *api.NetworkView {
	st := n.Status()
	v := &api.NetworkView{
		Self: st.PeerID, Network: st.Network, GenesisHash: st.GenesisHash, At: n.opts.Now().UTC(),
		Forks: st.Forks, Counters: st.Counters, Pending: st.Pending,
	}
	connected := map[peer.ID]bool{}
	for _, p := range n.net.ConnectedMembers() {
		connected[p] = true
	}
	heads := map[string]api.ChainStatus{}
	for _, c := range st.Chains {
		heads[c.Issuer] = c
	}
	targets := map[string]uint64{}
	for _, s := range st.Syncing {
		targets[s.Issuer] = s.Target
	}
	forked := n.net.Forked()
	for _, m := range n.opts.Genesis.MemberList() {
		id := m.ID.String()
		nm := api.NetworkMember{PeerID: id, Name: m.Name, Self: m.ID == n.net.ID(), Connected: connected[m.ID], Sync: "no_blocks"}
		for _, r := range m.Roles {
			nm.Roles = append(nm.Roles, string(r))
		}
		if nm.Connected {
			if d := n.net.Host().Peerstore().LatencyEWMA(m.ID); d > 0 {
				ms := float64(d) / float64(time.Millisecond)
				nm.LatencyMS = &ms
			}
		}
		if c, ok := heads[id]; ok {
			nm.Height, nm.Hash, nm.Sync = c.Height, c.Hash, "in_sync"
		}
		if t, ok := targets[id]; ok && t > nm.Height {
			nm.Target, nm.Lag, nm.Sync = t, t-nm.Height, "syncing"
		}
		if iss, err := peerid.Issuer(m.ID); err == nil {
			_, nm.Forked = forked[iss]
		}
		v.Members = append(v.Members, nm)
	}
	slices.SortFunc(v.Members, func(a, b api.NetworkMember) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.PeerID, b.PeerID)
	})
	return v
}

// SubjectQueries lists every receipt about the subject on the chains
// held: who asked, when, why, and who answered.
func (n *Node) SubjectQueries(s records.Subject) (*api.SubjectQueries, error) {
	ref, err := records.SubjectRef(s, n.opts.Secret)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	v := &api.SubjectQueries{SubjectRef: hex.EncodeToString(ref), Queries: []api.QueryRecord{}}
	var locs []store.Location
	if err := n.store.BySubject(ref, func(l store.Location) bool { locs = append(locs, l); return true }); err != nil {
		return nil, err
	}
	for _, loc := range locs {
		data, err := n.store.Entry(loc)
		if errors.Is(err, store.ErrNotFound) || data == nil {
			continue // pruned
		}
		if err != nil {
			return nil, err
		}
		e, err := chain.DecodeEntry(data, len(data))
		if err != nil || e.GetQueryReceipt() == nil {
			continue
		}
		r := e.GetQueryReceipt()
		q, err := chain.ReceiptQuery(r)
		if err != nil {
			continue
		}
		querier := chain.IssuerID(q.Querier)
		v.Queries = append(v.Queries, api.QueryRecord{
			QueryID: q.QueryId, Querier: peerString(querier), QuerierName: n.nameOf(querier),
			Answerer: peerString(loc.Issuer), AnswererName: n.nameOf(loc.Issuer),
			Purpose:   strings.ToLower(strings.TrimPrefix(q.Purpose.String(), "QUERY_PURPOSE_")),
			QueriedAt: time.UnixMilli(q.TimeMs).UTC(), RecordsReturned: r.RecordsReturned,
			FeeMinor: r.FeeMinor, FeeCurrency: r.FeeCurrency, Height: loc.Height, Index: loc.Index,
		})
	}
	slices.SortFunc(v.Queries, func(a, b api.QueryRecord) int {
		if c := b.QueriedAt.Compare(a.QueriedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Answerer, b.Answerer)
	})
	return v, nil
}
