package p2p

import (
	"context"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/internal/peerid"
)

// Liveness of the members a takeover waits on. A crashed member's QUIC
// connection stays "connected" until QUIC's idle timeout (30 s, which
// go-libp2p v0.51 does not let us change; keepalive.go), so judging a
// holder by its connection alone restores R only after 30 s + LostAfter.
// Instead, every shardCheckInterval the shard pings, on its open
// connection, each member whose loss could make us a holder: for every
// chain we do not hold in which we stand within watchDepth places after
// its first R, the members before us in its order, on each connection to
// it. A member that answers on none, silentAfter times in a row (each
// ping bounded by pingTimeout), counts as not connected until it answers
// again, so its chains move after LostAfter plus a few seconds; one slow
// answer on a loaded machine moves nothing.
// Each chain has watchDepth members at those places, so a member stands
// there in watchDepth chains on average and pings about watchDepth × R
// members a second, each ping about a hundred bytes; a member deeper in an
// order (more than watchDepth holders lost at once) waits for the
// connection to close.

// watchDepth is how far past the first R of an order we watch the members
// before us.
const watchDepth = 2

// pingTimeout bounds one liveness ping.
const pingTimeout = 2 * time.Second

// silentAfter is how many liveness rounds in a row a member must fail
// before it counts as not connected.
const silentAfter = 2

// watchedMembers returns the members whose loss could make self one of
// the first R holders still up of a chain self does not hold by
// placement, without repeats.
func (s *shard) watchedMembers() []chain.IssuerID {
	seen := make(map[chain.IssuerID]bool)
	var out []chain.IssuerID
	for _, iss := range s.pl.Members() {
		if s.pl.Holds(s.self, iss) {
			continue
		}
		order := s.pl.Top(iss, s.pl.R()+watchDepth)
		for i, m := range order {
			if m == s.self {
				for _, w := range order[:i] {
					if !seen[w] {
						seen[w] = true
						out = append(out, w)
					}
				}
				break
			}
		}
	}
	return out
}

// probeWatched pings every watched member that is connected and has no
// ping under way, each on its own goroutine, and records who answered.
func (n *Network) probeWatched(ctx context.Context) {
	s := n.shard
	for _, m := range s.watched {
		p, err := peerid.FromIssuer(m)
		if err != nil {
			continue
		}
		conns := n.host.Network().ConnsToPeer(p)
		if len(conns) == 0 {
			continue
		}
		s.mu.Lock()
		busy := s.mu.pinging[m]
		s.mu.pinging[m] = true
		s.mu.Unlock()
		if busy {
			continue
		}
		n.goTracked(func() {
			pctx, cancel := context.WithTimeout(ctx, pingTimeout)
			answered := false
			for _, c := range conns {
				if n.pingConn(pctx, c) == nil {
					answered = true
					break
				}
			}
			cancel()
			s.mu.Lock()
			delete(s.mu.pinging, m)
			switch {
			case answered:
				delete(s.mu.failed, m)
				delete(s.mu.silent, m)
			case ctx.Err() == nil:
				s.mu.failed[m]++
				if s.mu.failed[m] >= silentAfter {
					s.mu.silent[m] = true
				}
			}
			s.mu.Unlock()
		})
	}
}
