package p2p

import (
	"context"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
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
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
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
		}()
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
