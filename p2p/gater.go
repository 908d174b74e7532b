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
type gater struct {
	st  *state
	now func() time.Time
}

var _ connmgr.ConnectionGater = (*gater)(nil)

// ban keeps p out until until.
func (st *state) ban(p peer.ID, until time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.banned[p] = until
}

// allowed reports whether p is not banned at now.
func (st *state) allowed(p peer.ID, now time.Time) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	until, ok := st.banned[p]
	if !ok {
		return true
	}
	if now.After(until) {
		delete(st.banned, p)
		return true
	}
	return false
}

func (g *gater) allowed(p peer.ID) bool { return g.st.allowed(p, g.now()) }

func (g *gater) InterceptPeerDial(p peer.ID) bool                 { return g.allowed(p) }
func (g *gater) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return g.allowed(p) }
func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool      { return true }
func (g *gater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return g.allowed(p)
}
func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }
