package p2p

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/p2p/p2ppb"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// The status protocol: the opener writes its Status, the other side reads it
// and answers with its own. Both learn the other's genesis hash, the signed
// head of every chain it holds and the evidence it holds. A peer of another
// genesis is disconnected and banned; a peer whose claims do not verify is
// scored down, disconnected and banned (status_verify.go). Every verified
// head further than ours is handed to the syncer, one at a height we hold
// with another hash is evidence, and evidence new to us is kept and
// gossiped. Our own chain is never synced here: a signed head of ours above
// our head raises OwnChainAhead.

func (n *Network) ourStatus() *p2ppb.Status {
	heads := n.cfg.Store.Heads()
	st := &p2ppb.Status{GenesisHash: n.cfg.GenesisHash[:], Heads: make([]*chainpb.SignedHeader, 0, len(heads))}
	for _, h := range heads {
		st.Heads = append(st.Heads, h.Proto())
	}
	evs := slices.Collect(maps.Values(n.Forked()))
	if len(evs) > MaxStatusEvidence {
		rand.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		evs = evs[:MaxStatusEvidence]
	}
	for _, ev := range evs {
		st.Evidence = append(st.Evidence, ev.Proto())
	}
	return st
}

// handleStatus answers a status exchange a member opened.
func (n *Network) handleStatus(s network.Stream) {
	p := s.Conn().RemotePeer()
	if !n.IsMember(p) || !n.state.admitStatus(p, time.Now()) { // status_cap.go
		s.Reset()
		return
	}
	defer n.state.statusDone(p)
	s.SetDeadline(time.Now().Add(StatusTimeout))
	var theirs p2ppb.Status
	release, err := readMsg(s, s.Scope(), &theirs, MaxStatusBytes)
	if err != nil {
		s.Reset()
		return
	}
	defer release()
	if err := writeMsg(s, n.ourStatus()); err != nil {
		s.Reset()
		return
	}
	s.Close()
	n.processStatus(p, &theirs)
}

// exchangeStatus opens a status exchange with p.
func (n *Network) exchangeStatus(ctx context.Context, p peer.ID) error {
	ctx, cancel := context.WithTimeout(ctx, StatusTimeout)
	defer cancel()
	s, err := n.host.NewStream(ctx, p, StatusProtocol(n.cfg.Params.NetworkID))
	if err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok {
		s.SetDeadline(d)
	}
	if err := writeMsg(s, n.ourStatus()); err != nil {
		s.Reset()
		return err
	}
	s.CloseWrite()
	var theirs p2ppb.Status
	release, err := readMsg(s, s.Scope(), &theirs, MaxStatusBytes)
	if err != nil {
		s.Reset()
		return err
	}
	defer release()
	s.Close()
	n.processStatus(p, &theirs)
	return nil
}

func (n *Network) processStatus(p peer.ID, st *p2ppb.Status) {
	if subtle.ConstantTimeCompare(st.GenesisHash, n.cfg.GenesisHash[:]) != 1 {
		// Logged once per ban: a peer that keeps dialling us on its
		// genesis is disconnected each time without a line each time.
		level := slog.LevelDebug
		if n.state.banGenesis(p, n.cfg.Now(), n.cfg.Now().Add(n.cfg.BanDuration)) {
			level = slog.LevelWarn
		}
		n.log.Log(context.Background(), level, "peer is on another genesis; disconnecting", "peer", p,
			"our_genesis", fmt.Sprintf("%x", n.cfg.GenesisHash), "their_genesis", fmt.Sprintf("%x", st.GenesisHash),
			"ban", n.cfg.BanDuration.String(),
			"hint", "the genesis files differ, if only by a blank: compare `credmesh genesis show` on both peers and copy the network's genesis.json to the one that differs; the ban is lifted when it reconnects with the right genesis")
		n.host.Network().ClosePeer(p)
		return
	}
	if n.state.liftGenesisBan(p, n.cfg.Now()) {
		n.log.Info("peer is on our genesis now; its ban for another genesis is lifted", "peer", p)
	}
	heads, evs, err := n.verifyStatus(st)
	if err != nil {
		n.misbehaved(p, "its status does not verify", err)
		return
	}
	for _, ev := range evs {
		n.spreadEvidence(ev)
	}
	for _, h := range heads {
		head := n.cfg.Store.Head(h.Issuer)
		switch {
		case head != nil && head.Height == h.Height && head.Hash == h.Hash:
			// in step
		case head != nil && head.Height >= h.Height:
			n.checkEquivocation(h) // another header at a height we hold is a fork
		case h.Issuer == n.self:
			n.noteOwnAhead(h.Height, p) // signed with our key, above our head
		case !n.holds(h.Issuer):
			n.noteHeader(h) // sharded replication: a header is all we keep (shard.go)
		case !n.state.forked(h.Issuer):
			n.sync.want(h.Issuer, h.Height, p)
		}
	}
}

// statusLoop exchanges status with every member once identify completes on
// a new connection, again when it joins the blocks topic (a block we
// published before it subscribed reached it through nobody), and with a
// random connected member every StatusInterval. sub was subscribed before
// any connection could be made, so no identify event is missed.
func (n *Network) statusLoop(ctx context.Context, sub event.Subscription, joins *pubsub.TopicEventHandler) {
	defer sub.Close()
	defer joins.Cancel()
	joined := make(chan peer.ID)
	n.goTracked(func() {
		for {
			ev, err := joins.NextPeerEvent(ctx)
			if err != nil {
				return
			}
			if ev.Type == pubsub.PeerJoin {
				select {
				case joined <- ev.Peer:
				case <-ctx.Done():
					return
				}
			}
		}
	})
	tick := time.NewTicker(n.cfg.StatusInterval)
	defer tick.Stop()
	proto := StatusProtocol(n.cfg.Params.NetworkID)
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-sub.Out():
			ev := e.(event.EvtPeerIdentificationCompleted)
			if !n.IsMember(ev.Peer) || !supports(ev.Protocols, proto) {
				continue
			}
			n.goTracked(func() { n.statusWithRetry(ctx, ev.Peer) })
		case p := <-joined:
			if n.IsMember(p) {
				n.goTracked(func() { n.statusWithRetry(ctx, p) })
			}
		case <-tick.C:
			if ps := n.ConnectedMembers(); len(ps) > 0 {
				p := ps[rand.IntN(len(ps))]
				n.goTracked(func() { n.statusWithRetry(ctx, p) })
			}
		}
	}
}

func supports[T comparable](list []T, x T) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}
