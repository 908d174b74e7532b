package queryproto

import (
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Membership decisions change the members, their roles and the query fee
// over time (docs/PROTOCOL.md 18). With Config.Epoch (ReporterConfig.Epoch)
// set, a server judges a credit query by the members, and charges the
// fee, in force when it answers, and a reporter asks the credit members in
// force when it asks. The rate limiter's member class stays the genesis
// members': a newcomer draws on the clients' budget until a restart.

// epochAt returns the members and the fee in force at t.
func (s *Server) epochAt(t time.Time) (chain.Members, uint64, string) {
	if s.cfg.Epoch == nil {
		return s.cfg.Members, s.cfg.FeeMinor, s.cfg.FeeCurrency
	}
	m, p := s.cfg.Epoch(t)
	return m, p.QueryFeeMinor, p.FeeCurrency
}

// membersAt returns the members in force at t and the peers of those with
// the credit role.
func (r *Reporter) membersAt(t time.Time) (chain.Members, map[chain.IssuerID]peer.ID) {
	members := r.cfg.Members
	if r.cfg.Epoch != nil {
		members, _ = r.cfg.Epoch(t)
	}
	if r.cfg.Epoch == nil {
		return members, r.peers
	}
	peers := make(map[chain.IssuerID]peer.ID, len(members))
	for iss, roles := range members {
		if roles&chain.RoleCredit == 0 {
			continue
		}
		if id, err := peerid.FromIssuer(iss); err == nil {
			peers[iss] = id
		}
	}
	return members, peers
}
