package p2p

import (
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Membership is the membership over time, when decisions change it after
// the genesis (governance.View implements it). With Config.Membership set,
// blocks are validated against the members in force at their time, peers
// are admitted to gossip, status and sync while they are members (or
// admitted by a decision that has passed), and the heads and evidence of
// every key that was ever a member verify. Without it the genesis members
// are members for ever.
type Membership interface {
	ValidateBlock(b *chain.Block, head *chain.SignedHeader, now time.Time) (*chain.VerifiedBlock, error)
	ValidateSynced(b *chain.Block, head *chain.SignedHeader, now time.Time) (*chain.VerifiedBlock, error)
	// Admitted reports whether id may take part now.
	Admitted(id chain.IssuerID, now time.Time) bool
	// Everyone returns every key that was a member in any epoch.
	Everyone() chain.Members
}

// maxMembershipHeads bounds the heads of one status when membership
// changes: one per key that was ever a member.
const maxMembershipHeads = 4096

func (n *Network) validateBlock(b *chain.Block, head *chain.SignedHeader, now time.Time) (*chain.VerifiedBlock, error) {
	if m := n.cfg.Membership; m != nil {
		return m.ValidateBlock(b, head, now)
	}
	return chain.ValidateBlock(b, head, n.cfg.Members, n.cfg.Params, now)
}

func (n *Network) validateSynced(b *chain.Block, head *chain.SignedHeader, now time.Time) (*chain.VerifiedBlock, error) {
	if m := n.cfg.Membership; m != nil {
		return m.ValidateSynced(b, head, now)
	}
	return chain.ValidateSynced(b, head, n.cfg.Members, n.cfg.Params, now)
}

// everMembers returns the keys whose headers and evidence verify.
func (n *Network) everMembers() chain.Members {
	if m := n.cfg.Membership; m != nil {
		return m.Everyone()
	}
	return n.cfg.Members
}

// admitted reports whether p takes part now, by the membership.
func (n *Network) admitted(p peer.ID) bool {
	iss, err := peerid.Issuer(p)
	return err == nil && n.cfg.Membership.Admitted(iss, n.cfg.Now())
}
