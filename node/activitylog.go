package node

import (
	"context"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Defaults of Options.LogEvery and Options.AloneAfter.
const (
	defaultLogEvery   = 10 * time.Second
	defaultAloneAfter = time.Minute
)

// activityEvent is a block sealed or stored, on its way to watchActivity.
type activityEvent struct {
	iss     chain.IssuerID
	height  uint64
	entries int
	own     bool
	viaSync bool
}

// noteBlock hands a block to the activity log without blocking the path
// that sealed or stored it: when the log falls behind, the event is
// dropped (the counters and metrics still have it).
func (n *Node) noteBlock(ev activityEvent) {
	select {
	case n.activity <- ev:
	default:
	}
}

// watchActivity logs members connecting and leaving, blocks sealed and
// stored (aggregated by activity), and warns while no member is
// connected (loneliness). It stops when stop is called.
func (n *Node) watchActivity() (stop func()) {
	every, after := n.opts.LogEvery, n.opts.AloneAfter
	if every <= 0 {
		every = defaultLogEvery
	}
	if after <= 0 {
		after = defaultAloneAfter
	}
	sub, err := n.net.Host().EventBus().Subscribe(new(event.EvtPeerConnectednessChanged))
	if err != nil {
		n.log.Warn("member connections will not be logged", "err", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		var changes <-chan any
		if sub != nil {
			defer sub.Close()
			changes = sub.Out()
		}
		act := newActivity(every)
		lone := &loneliness{after: after, repeat: 10 * after}
		emit := func(lines []logLine) {
			for _, l := range lines {
				n.log.Log(context.Background(), l.level, l.msg, l.attrs...)
			}
		}
		peerName := func(id string) string {
			p, err := peer.Decode(id)
			if err != nil {
				return id
			}
			return n.memberName(p)
		}
		chainName := func(iss chain.IssuerID) string { return n.nameOf(iss) }
		for _, p := range n.net.ConnectedMembers() { // connected before we listened
			emit(act.memberChanged(n.opts.Now(), p.String(), n.memberName(p), true))
		}
		tick := time.NewTicker(min(every, after))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				emit(act.flush(n.opts.Now(), chainName, peerName))
				return
			case e := <-changes:
				ev := e.(event.EvtPeerConnectednessChanged)
				if !n.net.IsMember(ev.Peer) || ev.Peer == n.net.ID() {
					continue
				}
				switch ev.Connectedness {
				case network.Connected:
					emit(act.memberChanged(n.opts.Now(), ev.Peer.String(), n.memberName(ev.Peer), true))
					emit(lone.check(n.opts.Now(), len(n.net.ConnectedMembers()), len(n.names)-1))
				case network.NotConnected:
					emit(act.memberChanged(n.opts.Now(), ev.Peer.String(), n.memberName(ev.Peer), false))
				}
			case b := <-n.activity:
				if b.own {
					emit(act.blockSealed(n.opts.Now(), b.iss, b.height, b.entries))
				} else {
					emit(act.blockStored(n.opts.Now(), b.iss, n.nameOf(b.iss), b.height, b.viaSync))
				}
			case <-tick.C:
				now := n.opts.Now()
				emit(act.flush(now, chainName, peerName))
				emit(lone.check(now, len(n.net.ConnectedMembers()), len(n.names)-1))
			}
		}
	}()
	return func() { cancel(); <-done }
}

// memberName is the genesis name of a member's peer.
func (n *Node) memberName(p peer.ID) string {
	if m, ok := n.opts.Genesis.MemberPeers()[p]; ok {
		return m.Name
	}
	return p.String()
}
