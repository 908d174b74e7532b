package p2p

import (
	"errors"
	"fmt"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/p2p/p2ppb"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Nothing a peer claims in its status is believed unless it is signed by
// the issuer it is about: a head is a signed header, evidence is two. The
// sync target of a chain is thus always a height some issuer signed, never
// a number a peer made up. A peer whose status holds a claim that does not
// verify is lying or broken; either way it is scored down, disconnected
// and kept out for BanDuration (misbehaved).

// errBadStatus wraps every reason a status does not verify.
var errBadStatus = errors.New("p2p: status does not verify")

// verifyStatus decodes and verifies every head and every piece of evidence
// of st, and fails on the first that does not verify.
func (n *Network) verifyStatus(st *p2ppb.Status) ([]*chain.SignedHeader, []*chain.Evidence, error) {
	if limit := len(n.cfg.Members); n.cfg.Membership != nil && len(st.Heads) > maxMembershipHeads || n.cfg.Membership == nil && len(st.Heads) > limit {
		return nil, nil, fmt.Errorf("%w: %d heads, at most one per member (%d)", errBadStatus, len(st.Heads), len(n.cfg.Members))
	}
	if len(st.Evidence) > MaxStatusEvidence {
		return nil, nil, fmt.Errorf("%w: %d pieces of evidence, at most %d", errBadStatus, len(st.Evidence), MaxStatusEvidence)
	}
	heads := make([]*chain.SignedHeader, 0, len(st.Heads))
	for i, ph := range st.Heads {
		h, err := chain.DecodeSignedHeader(ph.GetHeader(), ph.GetSignature())
		if err == nil && n.cfg.Membership != nil && !n.everMembers().Contains(h.Issuer) {
			continue // a member admitted by a decision we do not hold yet: not proof of a lie
		}
		if err == nil {
			err = n.verifyHeader(h)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: head %d: %w", errBadStatus, i, err)
		}
		heads = append(heads, h)
	}
	evs := make([]*chain.Evidence, 0, len(st.Evidence))
	for i, pe := range st.Evidence {
		ev, err := chain.EvidenceFromProto(pe)
		if err == nil {
			err = ev.Verify(n.everMembers(), n.cfg.Params.NetworkID)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w: evidence %d: %w", errBadStatus, i, err)
		}
		evs = append(evs, ev)
	}
	return heads, evs, nil
}

// verifyHeader checks that h is a header of a member of this network,
// signed by it.
func (n *Network) verifyHeader(h *chain.SignedHeader) error {
	if h.NetworkID != n.cfg.Params.NetworkID {
		return fmt.Errorf("%w: header of %q", chain.ErrWrongNetwork, h.NetworkID)
	}
	if !n.everMembers().Contains(h.Issuer) {
		return fmt.Errorf("%w: %s", chain.ErrNotMember, h.Issuer.Short())
	}
	return h.VerifySignature()
}

// misbehaved scores p down (an application penalty that takes it past the
// graylist threshold, so gossip ignores it too), disconnects it and bans it
// for BanDuration: it sent a claim that does not verify.
func (n *Network) misbehaved(p peer.ID, what string, err error) {
	n.log.Warn("peer misbehaved; disconnecting", "peer", p, "what", what, "err", err)
	n.stats.misbehaved.Add(1)
	until := n.cfg.Now().Add(n.cfg.BanDuration)
	n.state.penalize(p, until)
	n.state.ban(p, until)
	n.host.Network().ClosePeer(p)
}
