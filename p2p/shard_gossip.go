package p2p

import (
	"context"

	"github.com/credmesh/credmesh/chain"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// chainValidator is the validator of iss's chain topic: a block of another
// issuer there is provably out of place (no honest member forwards it),
// anything else is judged as on the blocks topic.
func (n *Network) chainValidator(iss chain.IssuerID) func(context.Context, peer.ID, *pubsub.Message) pubsub.ValidationResult {
	return func(ctx context.Context, from peer.ID, msg *pubsub.Message) (res pubsub.ValidationResult) {
		defer func() {
			if r := recover(); r != nil {
				n.log.Error("chain topic validator panicked", "from", from, "panic", r)
				res = pubsub.ValidationReject
			}
		}()
		if from != n.host.ID() {
			b, err := chain.DecodeBlock(msg.Data, n.cfg.Params)
			if err != nil || b.Issuer != iss {
				n.stats.blocksRejected.Add(1)
				return pubsub.ValidationReject
			}
		}
		return n.validateBlockMsg(ctx, from, msg)
	}
}

// validateHeaderMsg is the headers topic's validator. A header that does
// not decode or verify (network, membership, signature) is rejected; one
// of a chain we hold is accepted and forwarded (its body comes on the
// chain's topic; a gap is found by status); one of a chain we do not hold
// replaces our header of it if higher, and is evidence if it differs from
// ours at one height. Older and repeated headers are ignored, so they go
// no further.
func (n *Network) validateHeaderMsg(_ context.Context, from peer.ID, msg *pubsub.Message) (res pubsub.ValidationResult) {
	defer func() {
		if r := recover(); r != nil {
			n.log.Error("header validator panicked", "from", from, "panic", r)
			res = pubsub.ValidationReject
		}
	}()
	if !n.IsMember(msg.ReceivedFrom) {
		return pubsub.ValidationReject
	}
	h, err := chain.UnmarshalSignedHeader(msg.Data)
	if err != nil {
		return pubsub.ValidationReject
	}
	if err := n.verifyHeader(h); err != nil {
		return pubsub.ValidationReject
	}
	if from == n.host.ID() {
		return pubsub.ValidationAccept
	}
	switch {
	case h.Issuer == n.self:
		if h.Height > n.headHeight(n.self) {
			n.noteOwnAhead(h.Height, from)
		} else {
			n.checkEquivocation(h)
		}
		return pubsub.ValidationIgnore
	case n.state.forked(h.Issuer):
		return pubsub.ValidationIgnore
	case n.holds(h.Issuer):
		if n.checkEquivocation(h) {
			return pubsub.ValidationIgnore
		}
		return pubsub.ValidationAccept
	}
	if n.noteHeader(h) {
		return pubsub.ValidationAccept
	}
	return pubsub.ValidationIgnore
}

// noteHeader keeps h, a verified header of a chain we do not hold, if it
// is higher than the one we keep, and reports whether it was. One at the
// height we keep with another hash is equivocation evidence.
func (n *Network) noteHeader(h *chain.SignedHeader) bool {
	s := n.shard
	s.mu.Lock()
	if _, held := s.mu.held[h.Issuer]; held {
		s.mu.Unlock()
		return false
	}
	old := s.mu.headers[h.Issuer]
	if old == nil || h.Height > old.Height {
		s.mu.headers[h.Issuer] = h
		s.mu.Unlock()
		return true
	}
	s.mu.Unlock()
	if old.Height == h.Height && old.Hash != h.Hash {
		if ev := chain.NewEvidence(old, h); ev != nil && ev.Verify(n.cfg.Members, n.cfg.Params.NetworkID) == nil {
			n.spreadEvidence(ev)
		}
	}
	return false
}
