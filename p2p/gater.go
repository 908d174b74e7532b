package p2p

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// gater lets any peer connect — light clients need the query protocol —
// except peers we have banned, for a while, because their status showed
// another genesis. Members-only protocols check membership themselves; the
// gater only keeps out peers that are provably on another network.
type gater struct {
	mu     sync.Mutex
	banned map[peer.ID]time.Time // until
	now    func() time.Time
}

var _ connmgr.ConnectionGater = (*gater)(nil)

func newGater(now func() time.Time) *gater {
	return &gater{banned: make(map[peer.ID]time.Time), now: now}
}

func (g *gater) ban(p peer.ID, d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.banned[p] = g.now().Add(d)
}

func (g *gater) allowed(p peer.ID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	until, ok := g.banned[p]
	if !ok {
		return true
	}
	if g.now().After(until) {
		delete(g.banned, p)
		return true
	}
	return false
}

func (g *gater) InterceptPeerDial(p peer.ID) bool                 { return g.allowed(p) }
func (g *gater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return g.allowed(p) }
func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool      { return true }
func (g *gater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return g.allowed(p)
}
func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }
