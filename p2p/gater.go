package p2p

import (
	"time"

	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// gater lets any peer connect — light clients need the query protocol —
// except peers we have banned, for a while, because their status showed
// another genesis or did not verify. Members-only protocols check
// membership themselves; the gater only keeps out peers that are provably
// on another network or lying. The swarm calls it on every dial and
// accept, so its path is one map lookup under the state's lock, which is
// never held across I/O (state.go).
//
// A ban for another genesis keeps our dials away, but lets the peer dial
// us: a member that fixed its genesis file and restarted dials the others,
// the status exchange shows the right hash, and the ban is lifted
// (liftGenesisBan) instead of keeping it out, silently, for BanDuration.
// One still on another genesis is disconnected again at its status.
type gater struct {
	st  *state
	now func() time.Time
}

var _ connmgr.ConnectionGater = (*gater)(nil)

// ban is why and until when a peer is kept out.
type ban struct {
	until   time.Time
	genesis bool // for another genesis only: inbound connections are let in
}

// ban keeps p out, both ways, until until: it misbehaved.
func (st *state) ban(p peer.ID, until time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.banned[p] = ban{until: until}
}

// banGenesis bans p until until for showing another genesis, and reports
// whether this is a new ban (p was not banned for that already at now),
// which is when to log it. A ban for misbehaviour stays one.
func (st *state) banGenesis(p peer.ID, now, until time.Time) (fresh bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	b, ok := st.banned[p]
	active := ok && !now.After(b.until)
	if active && !b.genesis {
		return false
	}
	st.banned[p] = ban{until: until, genesis: true}
	return !active
}

// liftGenesisBan ends a ban of p for another genesis, reporting whether
// one was in force at now; p has just shown ours.
func (st *state) liftGenesisBan(p peer.ID, now time.Time) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	b, ok := st.banned[p]
	if !ok || !b.genesis {
		return false
	}
	delete(st.banned, p)
	return !now.After(b.until)
}

// allowed reports whether p may connect at now, dialling us if inbound.
func (st *state) allowed(p peer.ID, now time.Time, inbound bool) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	b, ok := st.banned[p]
	if !ok {
		return true
	}
	if now.After(b.until) {
		delete(st.banned, p)
		return true
	}
	return b.genesis && inbound
}

func (g *gater) allowed(p peer.ID, inbound bool) bool { return g.st.allowed(p, g.now(), inbound) }

func (g *gater) InterceptPeerDial(p peer.ID) bool                 { return g.allowed(p, false) }
func (g *gater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return g.allowed(p, false) }
func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool      { return true }
func (g *gater) InterceptSecured(dir network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return g.allowed(p, dir == network.DirInbound)
}
func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }
