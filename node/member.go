package node

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/governance"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

var _ api.MembershipBackend = (*Node)(nil)

// ActivationMargin is added to the activation delay when a proposal names
// no activation time, and is the least lead beyond the delay the peer
// accepts: the proposal is sealed into a block up to a block interval
// later than it is accepted, and that block's time is what the delay
// counts from.
func (n *Node) activationMargin() time.Duration {
	return max(2*n.params.BlockInterval, 2*time.Second)
}

// Decisions is GET /v1/membership.
func (n *Node) Decisions() (*api.MembershipView, error) {
	now := n.opts.Now()
	h := n.view.History()
	e := h.At(now)
	v := &api.MembershipView{Now: now.UTC(), Epoch: e.Number, Params: governanceParams(e)}
	for _, m := range e.Sorted() {
		v.Members = append(v.Members, memberView(m))
	}
	for _, o := range h.Outcomes() {
		v.Proposals = append(v.Proposals, n.proposalView(o, now))
	}
	slices.SortStableFunc(v.Proposals, func(a, b api.ProposalView) int {
		ap, bp := a.ActivateAt.After(now), b.ActivateAt.After(now)
		if ap != bp {
			if ap {
				return -1
			}
			return 1
		}
		return a.ActivateAt.Compare(b.ActivateAt)
	})
	return v, nil
}

func governanceParams(e *governance.Epoch) api.GovernanceParams {
	fee := "0"
	if e.Params.QueryFeeMinor > 0 {
		fee = fmt.Sprintf("%d %s", e.Params.QueryFeeMinor, e.Params.FeeCurrency)
	}
	return api.GovernanceParams{ApprovalsNeeded: e.Needed(), ApprovalThreshold: e.Params.Threshold,
		ActivationDelay: e.Params.ActivationDelay.String(), QueryFee: fee}
}

func memberView(m governance.Member) api.MemberView {
	v := api.MemberView{PeerID: peerString(m.Issuer), Name: m.Name, Roles: m.Roles.String(), Addrs: slices.Clone(m.Addrs), Since: m.Since.UTC()}
	if m.Previous != (chain.IssuerID{}) {
		v.Previous = peerString(m.Previous)
	}
	return v
}

// nameOf returns the display name of a key: the genesis's, or that of an
// admission or rotation held.
func (n *Node) nameOf(id chain.IssuerID) string {
	if name, ok := n.names[id]; ok {
		return name
	}
	es := n.view.History().Epochs()
	for i := len(es) - 1; i >= 0; i-- {
		if m, ok := es[i].Members[id]; ok {
			return m.Name
		}
	}
	return ""
}

func (n *Node) proposalView(o *governance.Outcome, now time.Time) api.ProposalView {
	v := api.ProposalView{ID: o.ID, Proposer: peerString(o.Proposer), ProposerName: n.nameOf(o.Proposer),
		Reason: o.Body.Reason, BlockTime: o.BlockTime.UTC(), ActivateAt: o.ActivateAt.UTC(),
		Passed: o.Status == governance.StatusPassed, Needed: o.Needed, Unsettled: o.Unsettled,
		Hash: hex.EncodeToString(o.Hash[:])}
	switch c := o.Body.Change.(type) {
	case *chainpb.Proposal_Admit:
		v.Kind, v.Target, v.Name = "admit", peerString(chain.IssuerID(c.Admit.Issuer)), c.Admit.Name
		v.Roles, v.Addrs = chain.Role(c.Admit.Roles).String(), slices.Clone(c.Admit.Addrs)
	case *chainpb.Proposal_Remove:
		v.Kind, v.Target = "remove", peerString(chain.IssuerID(c.Remove.Issuer))
	case *chainpb.Proposal_Rotate:
		v.Kind, v.Target, v.NewPeerID = "rotate", peerString(chain.IssuerID(c.Rotate.Issuer)), peerString(chain.IssuerID(c.Rotate.NewIssuer))
		v.Addrs = slices.Clone(c.Rotate.Addrs)
	case *chainpb.Proposal_Param:
		v.Kind, v.Param, v.Value = "param", c.Param.Name, c.Param.Value
	}
	for _, a := range o.Approvers {
		v.Approvals = append(v.Approvals, peerString(a))
	}
	for _, a := range o.Uncounted {
		v.Uncounted = append(v.Uncounted, peerString(a.Approver))
	}
	switch {
	case o.Status == governance.StatusVoid:
		v.State, v.Why = "void", o.Reason
	case o.ActivateAt.After(now):
		v.State = "pending"
	case o.Status == governance.StatusPassed:
		v.State = "active"
	default:
		v.State = "failed"
	}
	return v
}

// Propose is POST /v1/membership/proposals.
func (n *Node) Propose(ctx context.Context, req api.ProposeRequest) (*api.DecisionWritten, error) {
	now := n.opts.Now()
	e := n.view.At(now)
	if err := n.mayDecide(e); err != nil {
		return nil, err
	}
	least := now.Add(e.Params.ActivationDelay + n.activationMargin())
	at := least
	if req.ActivateAt != nil {
		at = *req.ActivateAt
		if at.Before(least) {
			return nil, fmt.Errorf("%w: activation %s is too soon: the activation delay is %s, so the earliest is %s (now + delay + %s for sealing)",
				api.ErrBadRequest, at.UTC().Format(time.RFC3339), e.Params.ActivationDelay, least.UTC().Format(time.RFC3339), n.activationMargin())
		}
	}
	id := req.ID
	if id == "" {
		id = newProposalID(req.Kind, now)
	}
	entry, err := n.proposalEntry(req, id, at, e)
	if err != nil {
		return nil, err
	}
	if _, ok := n.view.History().Outcome(governance.Ref{Proposer: n.self, ID: id}); ok {
		return nil, fmt.Errorf("%w: proposal ID %q is on our chain already", api.ErrConflict, id)
	}
	data, err := n.submitDecision(ctx, entry, "proposal "+id)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	return &api.DecisionWritten{ID: id, Proposer: peerString(n.self), ActivateAt: time.UnixMilli(at.UnixMilli()).UTC(), Hash: hex.EncodeToString(sum[:])}, nil
}

// mayDecide refuses a peer that is not a member in e.
func (n *Node) mayDecide(e *governance.Epoch) error {
	if _, ok := e.Members[n.self]; !ok {
		return fmt.Errorf("%w: this peer (%s) is not a member now: only members propose and approve", api.ErrForbidden, peerString(n.self))
	}
	return n.own.refusal()
}

func newProposalID(kind string, now time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	if kind == "" {
		kind = "p"
	}
	return fmt.Sprintf("%s-%s-%s", kind, now.UTC().Format("20060102"), hex.EncodeToString(b[:]))
}

func (n *Node) proposalEntry(req api.ProposeRequest, id string, at time.Time, e *governance.Epoch) (*chainpb.Entry, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", api.ErrBadRequest, fmt.Sprintf(format, args...))
	}
	var out *chainpb.Entry
	switch req.Kind {
	case "admit":
		iss, err := parseIssuer("peer_id", req.PeerID)
		if err != nil {
			return nil, err
		}
		if _, ok := e.Members[iss]; ok {
			return nil, bad("%s is a member already", req.PeerID)
		}
		roles, err := parseRoles(req.Roles)
		if err != nil {
			return nil, err
		}
		addrs, err := parseAddrs(req.Addrs)
		if err != nil {
			return nil, err
		}
		out = governance.AdmitEntry(id, at, governance.Member{Issuer: iss, Name: req.Name, Roles: roles, Addrs: addrs}, req.Reason)
	case "remove":
		iss, err := parseIssuer("peer_id", req.PeerID)
		if err != nil {
			return nil, err
		}
		if _, ok := e.Members[iss]; !ok {
			return nil, bad("%s is not a member now", req.PeerID)
		}
		out = governance.RemoveEntry(id, at, iss, req.Reason)
	case "rotate":
		old, err := parseIssuer("peer_id", req.PeerID)
		if err != nil {
			return nil, err
		}
		nk, err := parseIssuer("new_peer_id", req.NewPeerID)
		if err != nil {
			return nil, err
		}
		if _, ok := e.Members[old]; !ok {
			return nil, bad("%s is not a member now", req.PeerID)
		}
		addrs, err := parseAddrs(req.Addrs)
		if err != nil {
			return nil, err
		}
		out = governance.RotateEntry(id, at, old, nk, addrs, req.Reason)
	case "param":
		if _, err := governance.SetParam(e.Params, req.Param, req.Value); err != nil {
			return nil, bad("%v", err)
		}
		out = governance.ParamEntry(id, at, req.Param, req.Value, req.Reason)
	default:
		return nil, bad("kind %q: want admit, remove, rotate or param", req.Kind)
	}
	if err := chain.ValidateEntry(out); err != nil {
		return nil, bad("%v", err)
	}
	return out, nil
}

// submitDecision puts a decision entry into our pending pool and returns
// its encoding.
func (n *Node) submitDecision(ctx context.Context, e *chainpb.Entry, what string) ([]byte, error) {
	data, err := chain.EncodeEntry(e)
	if err != nil {
		return nil, err
	}
	if err := n.checkDisk(); err != nil {
		return nil, err
	}
	errs, err := n.builder.Submit(ctx, []*chainpb.Entry{e})
	switch {
	case errors.Is(err, builder.ErrClosed):
		return nil, fmt.Errorf("%w: the peer is shutting down", api.ErrBusy)
	case err != nil:
		return nil, err
	case errors.Is(errs[0], chain.ErrAlreadyAccepted):
		return nil, fmt.Errorf("%w: %s is on our chain or pending already", api.ErrConflict, what)
	case errors.Is(errs[0], chain.ErrPoolFull):
		return nil, fmt.Errorf("%w: %v", api.ErrBusy, errs[0])
	case errs[0] != nil:
		return nil, fmt.Errorf("%w: %v", api.ErrBadRequest, errs[0])
	}
	return data, nil
}

// Approve is POST /v1/membership/proposals/{id}/approve.
func (n *Node) Approve(ctx context.Context, req api.ApproveRequest) (*api.DecisionWritten, error) {
	now := n.opts.Now()
	h := n.view.History()
	if err := n.mayDecide(h.At(now)); err != nil {
		return nil, err
	}
	var found []*governance.Outcome
	for _, o := range h.Outcomes() {
		if o.ID == req.ID && (req.Proposer == "" || peerString(o.Proposer) == req.Proposer) {
			found = append(found, o)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: no proposal %q is held (it may not have reached this peer yet; see credmesh member list)", api.ErrNotFound, req.ID)
	case 1:
	default:
		var ps []string
		for _, o := range found {
			ps = append(ps, peerString(o.Proposer))
		}
		return nil, fmt.Errorf("%w: %d proposers used the ID %q (%s): name the proposer", api.ErrBadRequest, len(found), req.ID, strings.Join(ps, ", "))
	}
	o := found[0]
	w := &api.DecisionWritten{ID: o.ID, Proposer: peerString(o.Proposer), ActivateAt: o.ActivateAt.UTC(), Hash: hex.EncodeToString(o.Hash[:])}
	switch {
	case o.Proposer == n.self:
		return nil, fmt.Errorf("%w: %q is our own proposal, which counts as our approval already", api.ErrConflict, o.ID)
	case slices.Contains(o.Approvers, n.self) || slices.ContainsFunc(o.Uncounted, func(a *governance.Approval) bool { return a.Approver == n.self }):
		return nil, fmt.Errorf("%w: we approved %q already", api.ErrConflict, o.ID)
	case !o.ActivateAt.After(now.Add(n.params.BlockInterval)):
		return nil, fmt.Errorf("%w: %q activated at %s: an approval now would not count", api.ErrBadRequest, o.ID, o.ActivateAt.UTC().Format(time.RFC3339))
	case o.Status == governance.StatusVoid:
		return nil, fmt.Errorf("%w: %q is void (%s): an approval would not count", api.ErrBadRequest, o.ID, o.Reason)
	}
	if _, err := n.submitDecision(ctx, governance.ApprovalEntry(o.Proposer, o.ID, o.Entry), "an approval of "+o.ID); err != nil {
		return nil, err
	}
	return w, nil
}

func parseIssuer(field, s string) (chain.IssuerID, error) {
	if s == "" {
		return chain.IssuerID{}, fmt.Errorf("%w: %s is required", api.ErrBadRequest, field)
	}
	id, err := peer.Decode(s)
	if err != nil {
		return chain.IssuerID{}, fmt.Errorf("%w: %s %q is not a peer ID: %v", api.ErrBadRequest, field, s, err)
	}
	iss, err := peerid.Issuer(id)
	if err != nil {
		return chain.IssuerID{}, fmt.Errorf("%w: %s %q: %v", api.ErrBadRequest, field, s, err)
	}
	return iss, nil
}

func parseRoles(names []string) (chain.Role, error) {
	if len(names) == 0 {
		return 0, fmt.Errorf("%w: roles are required: payments, credit, query", api.ErrBadRequest)
	}
	m := config.Member{}
	for _, s := range names {
		for _, r := range strings.Split(s, ",") {
			r = strings.TrimSpace(r)
			m.Roles = []config.Role{config.Role(r)}
			if m.ChainRoles() == 0 {
				return 0, fmt.Errorf("%w: role %q: want payments, credit or query", api.ErrBadRequest, r)
			}
		}
	}
	var out chain.Role
	for _, s := range names {
		for _, r := range strings.Split(s, ",") {
			m.Roles = []config.Role{config.Role(strings.TrimSpace(r))}
			out |= m.ChainRoles()
		}
	}
	return out, nil
}

// parseAddrs checks multiaddrs and strips a trailing /p2p/ part.
func parseAddrs(in []string) ([]string, error) {
	var out []string
	for _, s := range in {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return nil, fmt.Errorf("%w: address %q: %v", api.ErrBadRequest, s, err)
		}
		a, _ = ma.SplitFunc(a, func(c ma.Component) bool { return c.Protocol().Code == ma.P_P2P })
		if a == nil || len(a.String()) == 0 {
			return nil, fmt.Errorf("%w: address %q has no transport part", api.ErrBadRequest, s)
		}
		out = append(out, a.String())
	}
	return out, nil
}

// warnIfNoMember logs, at start, that the peer is not a member by the
// decisions it holds: a newcomer syncs once the members admit it, and
// signs from its activation on.
func (n *Node) warnIfNoMember() {
	now := n.opts.Now()
	switch {
	case n.view.IsMemberAt(n.self, now):
	case n.view.Admitted(n.self, now):
		n.log.Info("this peer is admitted by a decision that activates later; it syncs now and signs from the activation on")
	default:
		n.log.Warn("this peer is not a member of the genesis, nor admitted by a decision this peer holds; the members let it in once enough of them approve its admission (credmesh member propose add)", "peer", peerString(n.self))
	}
}

// decisionCache holds the decision proofs of one membership history.
type decisionCache struct {
	hist   *governance.History
	proofs []*chain.Proof
}

// decisionProofs returns the proofs of every decision that passed: its
// proposal and counted approvals, for payment answers (queryproto
// decisions.go). They are made once per membership history.
func (n *Node) decisionProofs() []*chain.Proof {
	h := n.view.History()
	if c := n.decisions.Load(); c != nil && c.hist == h {
		return c.proofs
	}
	var out []*chain.Proof
	add := func(iss chain.IssuerID, key []byte) {
		loc, err := n.store.LocateKey(iss, key)
		if err != nil {
			return
		}
		if p, err := n.store.Proof(loc); err == nil {
			out = append(out, p)
		}
	}
	for _, o := range h.Outcomes() {
		if o.Status != governance.StatusPassed {
			continue
		}
		add(o.Proposer, chain.ProposalKey(o.ID))
		for _, a := range o.Approvers {
			if a != o.Proposer {
				add(a, chain.ApprovalKey(o.Proposer, o.ID))
			}
		}
	}
	n.decisions.Store(&decisionCache{hist: h, proofs: out})
	return out
}
