package p2p

import (
	"context"
	"fmt"
	"time"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	drouting "github.com/libp2p/go-libp2p/p2p/discovery/routing"
	dutil "github.com/libp2p/go-libp2p/p2p/discovery/util"
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
		dht.BootstrapPeers(n.cfg.Bootstrap...),
		dht.RoutingTableFilter(func(_ any, p peer.ID) bool { return n.IsMember(p) }),
		dht.QueryFilter(func(_ any, ai peer.AddrInfo) bool { return n.IsMember(ai.ID) }),
		dht.DisableValues(),
		dht.ProviderDatastore(n.providers),
		dht.OnRequestHook(n.screenDHTRequests()),
	)
	if err != nil {
		return nil, fmt.Errorf("p2p: DHT: %w", err)
	}
	return kad, nil
}

// discoveryLoop dials the bootstrap peers, then (members) advertises the
// rendezvous key and looks the other members up: after 2 s, then backing
// off (doubling) to DiscoveryInterval while some member is missing, and
// every DiscoveryInterval once all are connected. A member that is down for
// good thus costs a lookup a minute, not one every 2 s. Advertise renews
// the record before its TTL runs out.
func (n *Network) discoveryLoop(ctx context.Context) {
	for _, ai := range n.cfg.Bootstrap {
		if ai.ID == n.host.ID() {
			continue
		}
		go func() {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := n.host.Connect(cctx, ai); err != nil {
				n.log.Debug("bootstrap peer unreachable", "peer", ai.ID, "err", err)
			}
		}()
	}
	if err := n.dht.Bootstrap(ctx); err != nil {
		n.log.Warn("DHT bootstrap", "err", err)
	}
	if n.cfg.Store == nil {
		return // light clients find peers on demand (FindMembers)
	}
	disc := drouting.NewRoutingDiscovery(n.dht)
	ns := Rendezvous(n.cfg.Params.NetworkID)
	dutil.Advertise(ctx, disc, ns)
	wait, backoff := time.Duration(0), 2*time.Second
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
		if n.host.Network().Connectedness(ai.ID) == network.Connected {
			continue
		}
		go func() {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := n.host.Connect(cctx, ai); err != nil {
				n.log.Debug("member unreachable", "peer", ai.ID, "err", err)
			}
		}()
	}
}

// FindPeer looks a peer up by ID through the DHT's peer routing.
func (n *Network) FindPeer(ctx context.Context, id peer.ID) (peer.AddrInfo, error) {
	return n.dht.FindPeer(ctx, id)
}
