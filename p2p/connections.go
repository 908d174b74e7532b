package p2p

import (
	"context"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
)

// One connection per pair of members (PROTOCOL.md §2). Members that start
// together all know each other's addresses (the genesis), and two peers
// that dial each other at once end up with two connections, which nothing
// in libp2p merges. So, for startDialGrace after it starts, a member dials
// only the members whose peer ID sorts above its own (bytewise) and lets
// the others dial it: bootstrap dials, and the DHT's own dials too
// (dht.BootstrapPeersFunc, dht.QueryFilter). After the grace it dials a
// member it is still not connected to, and from then on dials only a
// member it holds no connection to. A member joining a running network
// whose bootstrap peers all sort below it thus waits the grace (1 s)
// before it connects. A duplicate that still arises (two
// members finding each other at one moment) is closed by the keep-alive
// round (keepalive.go). Light clients dial whenever they need to: no
// member dials them.

// startDialGrace is how long a member leaves the dialling to the members
// with lower peer IDs.
const startDialGrace = time.Second

// dialsFirst reports whether we dial p at start rather than wait for it.
func (n *Network) dialsFirst(p peer.ID) bool {
	return n.cfg.Store == nil || !n.IsMember(p) || n.host.ID() < p
}

// graceOver reports whether the start grace has passed.
func (n *Network) graceOver() bool {
	return time.Since(n.started) >= startDialGrace
}

// mayDial reports whether we may open a connection to p now.
func (n *Network) mayDial(p peer.ID) bool {
	return n.dialsFirst(p) || n.graceOver() || n.host.Network().Connectedness(p) == network.Connected
}

// dialableBootstrap is the DHT's bootstrap list: the bootstrap peers we may
// dial now.
func (n *Network) dialableBootstrap() []peer.AddrInfo {
	var out []peer.AddrInfo
	for _, ai := range n.cfg.Bootstrap {
		if ai.ID != n.host.ID() && n.mayDial(ai.ID) {
			out = append(out, ai)
		}
	}
	return out
}

// dialBootstrap dials the bootstrap peers we dial first now, and the others
// once the start grace is over if they have not dialled us by then.
func (n *Network) dialBootstrap(ctx context.Context) {
	for _, ai := range n.cfg.Bootstrap {
		if ai.ID == n.host.ID() {
			continue
		}
		wait := time.Duration(0)
		if !n.dialsFirst(ai.ID) {
			wait = time.Until(n.started.Add(startDialGrace))
		}
		n.goTracked(func() {
			if wait > 0 {
				t := time.NewTimer(wait)
				defer t.Stop()
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
			n.dial(ctx, ai, "bootstrap peer")
		})
	}
}

// dial connects to ai unless a connection exists.
func (n *Network) dial(ctx context.Context, ai peer.AddrInfo, what string) {
	if n.host.Network().Connectedness(ai.ID) == network.Connected {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := n.host.Connect(ctx, ai); err != nil {
		n.log.Debug(what+" unreachable", "peer", ai.ID, "err", err)
	}
}

// Members stay connected. When the last connection to a member closes (it
// stopped, or the keep-alive found the connection dead), we dial it again:
// at once if our peer ID sorts below its, else after the start grace (so
// two members that lost each other do not dial each other at once), then
// after 1 s, doubling to DiscoveryInterval, until a connection exists
// again, from either side. Addresses come from the peerstore, else from
// the DHT.

// reconnectLoop starts a redial for every member whose last connection
// closed.
func (n *Network) reconnectLoop(ctx context.Context) {
	sub, err := n.host.EventBus().Subscribe(new(event.EvtPeerConnectednessChanged))
	if err != nil {
		n.log.Error("watching connections", "err", err)
		return
	}
	defer sub.Close()
	var mu sync.Mutex
	redialing := make(map[peer.ID]bool)
	for {
		var ev event.EvtPeerConnectednessChanged
		select {
		case <-ctx.Done():
			return
		case e := <-sub.Out():
			ev = e.(event.EvtPeerConnectednessChanged)
		}
		if ev.Connectedness != network.NotConnected || !n.IsMember(ev.Peer) || ev.Peer == n.host.ID() {
			continue
		}
		mu.Lock()
		busy := redialing[ev.Peer]
		redialing[ev.Peer] = true
		mu.Unlock()
		if busy {
			continue
		}
		n.goTracked(func() {
			n.redial(ctx, ev.Peer)
			mu.Lock()
			delete(redialing, ev.Peer)
			mu.Unlock()
		})
	}
}

// clearDialBackoff forgets the swarm's dial backoff of p. The swarm backs
// off an address after each failed dial (5 s plus 1 s × failures², up to
// 5 min) and then refuses to dial it at all; a member that was down for a
// few of our redials would be refused for minutes after it came back.
// redial paces itself, so the swarm's backoff only adds delay.
func (n *Network) clearDialBackoff(p peer.ID) {
	if sw, ok := n.host.Network().(*swarm.Swarm); ok {
		sw.Backoff().Clear(p)
	}
}

// redial dials p until a connection to it exists or ctx ends.
func (n *Network) redial(ctx context.Context, p peer.ID) {
	wait, backoff := time.Duration(0), time.Second
	if !n.dialsFirst(p) {
		wait = startDialGrace
	}
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if n.host.Network().Connectedness(p) == network.Connected {
			return
		}
		ai := peer.AddrInfo{ID: p, Addrs: n.host.Peerstore().Addrs(p)}
		if len(ai.Addrs) == 0 {
			fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			ai, _ = n.dht.FindPeer(fctx, p)
			cancel()
		}
		if len(ai.Addrs) > 0 {
			n.clearDialBackoff(p)
			n.dial(ctx, ai, "member")
		}
		if n.host.Network().Connectedness(p) == network.Connected {
			return
		}
		wait, backoff = backoff, min(2*backoff, n.cfg.DiscoveryInterval)
	}
}
