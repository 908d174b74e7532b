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
// another genesis or a claim that does not verify. Members-only protocols
// check membership themselves; the gater only keeps out peers that are
// provably on another network or misbehaved.
//
// A ban for another genesis keeps our dials away, but lets the peer dial
// us: a member that fixed its genesis file and restarted dials the others,
// the status exchange shows the right hash, and the ban is lifted
// (liftGenesisBan) instead of keeping it out, silently, for BanDuration.
// One still on another genesis is disconnected again at its status.
type gater struct {
	mu     sync.Mutex
	banned map[peer.ID]ban
	now    func() time.Time
}

type ban struct {
	until   time.Time
	genesis bool // for another genesis only: inbound connections are let in
}

var _ connmgr.ConnectionGater = (*gater)(nil)

func newGater(now func() time.Time) *gater {
	return &gater{banned: make(map[peer.ID]ban), now: now}
}

// ban keeps p out, both ways, for d: it misbehaved.
func (g *gater) ban(p peer.ID, d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.banned[p] = ban{until: g.now().Add(d)}
}

// banGenesis bans p for d for showing another genesis, and reports whether
// this is a new ban (p was not banned for that already), which is when
// to log it. A ban for misbehaviour stays one.
func (g *gater) banGenesis(p peer.ID, d time.Duration) (fresh bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	b, ok := g.banned[p]
	active := ok && !now.After(b.until)
	if active && !b.genesis {
		return false
	}
	g.banned[p] = ban{until: now.Add(d), genesis: true}
	return !active
}

// liftGenesisBan ends a ban of p for another genesis, reporting whether
// there was one; p has just shown ours.
func (g *gater) liftGenesisBan(p peer.ID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, ok := g.banned[p]
	if !ok || !b.genesis {
		return false
	}
	delete(g.banned, p)
	return !g.now().After(b.until)
}

func (g *gater) allowed(p peer.ID, inbound bool) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, ok := g.banned[p]
	if !ok {
		return true
	}
	if g.now().After(b.until) {
		delete(g.banned, p)
		return true
	}
	return b.genesis && inbound
}

func (g *gater) InterceptPeerDial(p peer.ID) bool                 { return g.allowed(p, false) }
func (g *gater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return g.allowed(p, false) }
func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool      { return true }
func (g *gater) InterceptSecured(dir network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return g.allowed(p, dir == network.DirInbound)
}
func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }
