package p2p

import (
	"context"
	"fmt"
	"time"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	drouting "github.com/libp2p/go-libp2p/p2p/discovery/routing"
)

// newDHT starts the private DHT: our own protocol prefix, so it never
// talks to the public IPFS DHT; server mode on members and client mode on
// light clients; only members in the routing table; bootstrapped only from
// the configured or genesis addresses; no values, and provider records from
// members only (providers.go).
func newDHT(n *Network) (*dht.IpfsDHT, error) {
	mode := dht.ModeServer
	if n.cfg.Store == nil {
		mode = dht.ModeClient
	}
	for _, ai := range n.cfg.Bootstrap {
		n.host.Peerstore().AddAddrs(ai.ID, ai.Addrs, time.Hour)
	}
	kad, err := dht.New(n.host,
		dht.Mode(mode),
		dht.ProtocolPrefix(DHTPrefix(n.cfg.Params.NetworkID)),
		dht.BootstrapPeersFunc(n.dialableBootstrap),
		dht.RoutingTableFilter(func(_ any, p peer.ID) bool { return n.IsMember(p) }),
		dht.QueryFilter(func(_ any, ai peer.AddrInfo) bool { return n.IsMember(ai.ID) && n.mayDial(ai.ID) }),
		dht.DisableValues(),
		dht.ProviderDatastore(n.providers),
		dht.OnRequestHook(n.screenDHTRequests()),
	)
	if err != nil {
		return nil, fmt.Errorf("p2p: DHT: %w", err)
	}
	return kad, nil
}

// discoveryLoop dials the bootstrap peers (by the start rule of
// connections.go), then (members) advertises the rendezvous key and looks
// the other members up: at once, then backing off (doubling from the
// start grace, 1 s) to DiscoveryInterval while some member is missing,
// and every DiscoveryInterval once all are connected. A member that is
// down for good thus costs a lookup a minute, not one every second.
func (n *Network) discoveryLoop(ctx context.Context) {
	n.dialBootstrap(ctx)
	if err := n.dht.Bootstrap(ctx); err != nil {
		n.log.Warn("DHT bootstrap", "err", err)
	}
	if n.cfg.Store == nil {
		return // light clients find peers on demand (FindMembers)
	}
	disc := drouting.NewRoutingDiscovery(n.dht)
	ns := Rendezvous(n.cfg.Params.NetworkID)
	n.goLoop(func(ctx context.Context) { n.advertiseLoop(ctx, disc, ns) })
	wait, backoff := time.Duration(0), startDialGrace
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		n.findMembers(ctx, disc, ns)
		wait = n.cfg.DiscoveryInterval
		if len(n.ConnectedMembers()) < len(n.members)-1 {
			wait, backoff = backoff, min(2*backoff, n.cfg.DiscoveryInterval)
		}
	}
}

// advertiseLoop provides the rendezvous key and renews the record before
// its TTL runs out. A provide fails while the routing table is still empty
// (identify not yet done): it is tried again after 1 s, doubling to
// DiscoveryInterval. One made during the start grace, while the DHT does
// not dial the members that dial us, is made again when the grace ends.
func (n *Network) advertiseLoop(ctx context.Context, disc *drouting.RoutingDiscovery, ns string) {
	backoff := time.Second
	for {
		var wait time.Duration
		began := time.Now()
		ttl, err := disc.Advertise(ctx, ns)
		switch {
		case err != nil:
			n.log.Debug("advertising the rendezvous key", "err", err)
			wait, backoff = backoff, min(2*backoff, n.cfg.DiscoveryInterval)
		case began.Sub(n.started) < startDialGrace:
			wait = time.Until(n.started.Add(startDialGrace))
		default:
			wait, backoff = 7*ttl/8, time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// findMembers connects to every member the rendezvous lookup returns that
// we are not connected to.
func (n *Network) findMembers(ctx context.Context, disc *drouting.RoutingDiscovery, ns string) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	found, err := disc.FindPeers(ctx, ns)
	if err != nil {
		n.log.Debug("finding members", "err", err)
		return
	}
	for ai := range found {
		if ai.ID == n.host.ID() || !n.IsMember(ai.ID) || len(ai.Addrs) == 0 {
			continue
		}
		if n.host.Network().Connectedness(ai.ID) == network.Connected || !n.mayDial(ai.ID) {
			continue // connected, or it dials us (connections.go)
		}
		n.goTracked(func() {
			n.dial(n.ctx, ai, "member")
		})
	}
}

// FindPeer looks a peer up by ID through the DHT's peer routing.
func (n *Network) FindPeer(ctx context.Context, id peer.ID) (peer.AddrInfo, error) {
	return n.dht.FindPeer(ctx, id)
}
