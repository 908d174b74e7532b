package p2p

import (
	"context"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/libp2p/go-libp2p/core/network"
)

// shardLoop notes, every shardCheckInterval, which members are connected,
// and takes over every chain of which we have become one of the first R
// holders still up (placement.Live): the replica set that lost members is
// back to R once we and the others that moved up hold it.
func (n *Network) shardLoop(ctx context.Context) {
	tick := time.NewTicker(shardCheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n.probeWatched(ctx)
		for _, iss := range n.chainsToTakeOver(n.cfg.Now()) {
			if err := n.holdChain(iss); err != nil {
				n.log.Warn("taking over a chain", "issuer", iss.Short(), "err", err)
				continue
			}
			n.shard.taken.Add(1)
			n.log.Info("holding a chain whose holders were lost", "issuer", iss.Short())
			n.askHolders(ctx, iss)
		}
	}
}

// chainsToTakeOver notes who is connected at now and returns the chains
// we do not hold but are now among the first R live holders of.
func (n *Network) chainsToTakeOver(now time.Time) []chain.IssuerID {
	s := n.shard
	connected := make(map[chain.IssuerID]bool)
	for _, p := range n.host.Network().Peers() {
		if iss, ok := n.members[p]; ok && n.host.Network().Connectedness(p) == network.Connected {
			connected[iss] = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for iss := range s.mu.silent {
		delete(connected, iss) // connected, but not answering pings
	}
	for iss := range connected {
		s.mu.seen[iss] = now
	}
	// A peer connected to fewer than half the members is more likely cut
	// off itself than watching half the network fail: it takes nothing
	// over, and once it is back its clock starts again, so members that
	// start after it get LostAfter to come up.
	if 2*(len(connected)+1) < len(n.members) {
		s.mu.quorumSince = time.Time{}
		return nil
	}
	if s.mu.quorumSince.IsZero() {
		s.mu.quorumSince = now
	}
	down := func(m chain.IssuerID) bool {
		last := s.mu.seen[m]
		if last.Before(s.mu.quorumSince) {
			last = s.mu.quorumSince
		}
		return m != s.self && now.Sub(last) >= n.cfg.LostAfter
	}
	var out []chain.IssuerID
	for _, iss := range s.pl.Members() {
		if _, held := s.mu.held[iss]; held {
			continue
		}
		for _, m := range s.pl.Live(iss, down) {
			if m == s.self {
				out = append(out, iss)
				break
			}
		}
	}
	return out
}

// askHolders exchanges status with every connected member that holds
// iss's chain by placement (its issuer and its first R replicas), so that their heads of
// it reach the syncer.
func (n *Network) askHolders(ctx context.Context, iss chain.IssuerID) {
	for _, m := range n.shard.pl.Holders(iss) {
		n.askMember(ctx, m)
	}
}

func (n *Network) askMember(ctx context.Context, m chain.IssuerID) {
	if m == n.self {
		return
	}
	p, err := peerid.FromIssuer(m)
	if err != nil || n.host.Network().Connectedness(p) != network.Connected {
		return
	}
	n.goTracked(func() { n.statusWithRetry(ctx, p) })
}
