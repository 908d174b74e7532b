package p2p

import (
	"context"
	"maps"

	"github.com/credmesh/credmesh/chain"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// forked reports whether iss is proven to have equivocated.
func (st *state) forked(iss chain.IssuerID) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.forkedLocked(iss)
}

func (st *state) forkedLocked(iss chain.IssuerID) bool {
	_, ok := st.evidence[iss]
	return ok
}

// addEvidence records ev and reports whether it was new.
func (st *state) addEvidence(ev *chain.Evidence) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.forkedLocked(ev.A.Issuer) {
		return false
	}
	st.evidence[ev.A.Issuer] = ev
	return true
}

// Forked returns the evidence against every issuer known to have
// equivocated.
func (n *Network) Forked() map[chain.IssuerID]*chain.Evidence {
	n.state.mu.Lock()
	defer n.state.mu.Unlock()
	return maps.Clone(n.state.evidence)
}

// EvidenceOf returns the evidence against iss, or nil if iss is not known
// to have forked. (The store's EvidenceOf reads the same, from disk.)
func (n *Network) EvidenceOf(iss chain.IssuerID) *chain.Evidence {
	n.state.mu.Lock()
	defer n.state.mu.Unlock()
	return n.state.evidence[iss]
}

// checkEquivocation compares a validly signed header at a height we hold
// with the stored one; two different headers are evidence, which we keep
// and gossip. It reports whether they were.
func (n *Network) checkEquivocation(h *chain.SignedHeader) bool {
	stored, err := n.cfg.Store.Header(h.Issuer, h.Height)
	if err != nil || stored.Hash == h.Hash {
		return false
	}
	ev := chain.NewEvidence(stored, h)
	if ev == nil || ev.Verify(n.everMembers(), n.cfg.Params.NetworkID) != nil {
		return false
	}
	n.spreadEvidence(ev)
	return true
}

// spreadEvidence records verified evidence and, if it is new to us,
// gossips it.
func (n *Network) spreadEvidence(ev *chain.Evidence) {
	if n.recordEvidence(ev) {
		if err := n.evidence.Publish(n.ctx, ev.Marshal()); err != nil {
			n.log.Warn("publishing equivocation evidence", "err", err)
		}
	}
}

// recordEvidence marks the issuer forked and keeps the evidence; it
// reports whether the evidence was new to us.
func (n *Network) recordEvidence(ev *chain.Evidence) bool {
	if !n.state.addEvidence(ev) {
		return false
	}
	n.noteEvidence(ev)
	n.stats.evidenceSeen.Add(1)
	n.log.Error("issuer equivocated: two different blocks at one height", "issuer", ev.A.Issuer.Short(), "height", ev.A.Height)
	if err := n.cfg.Store.SaveEvidence(ev); err != nil {
		n.log.Error("saving equivocation evidence", "err", err)
	}
	return true
}

func (n *Network) validateEvidenceMsg(_ context.Context, from peer.ID, msg *pubsub.Message) (res pubsub.ValidationResult) {
	defer func() {
		if r := recover(); r != nil {
			n.log.Error("evidence validator panicked", "from", from, "panic", r)
			res = pubsub.ValidationReject
		}
	}()
	ev, err := chain.DecodeEvidence(msg.Data)
	if err != nil {
		return pubsub.ValidationReject
	}
	if err := ev.Verify(n.everMembers(), n.cfg.Params.NetworkID); err != nil {
		return pubsub.ValidationReject
	}
	if from == n.host.ID() {
		return pubsub.ValidationAccept // recorded before publishing
	}
	if !n.recordEvidence(ev) {
		// We hold evidence against this issuer already: one per issuer is
		// all anyone needs, and forwarding every other pair a forked
		// issuer can sign would let it flood the topic.
		return pubsub.ValidationIgnore
	}
	return pubsub.ValidationAccept
}

func (n *Network) loadEvidence() error {
	evs, err := n.cfg.Store.Evidence()
	if err != nil {
		return err
	}
	for _, ev := range evs {
		n.state.addEvidence(ev)
		n.noteEvidence(ev)
	}
	return nil
}
