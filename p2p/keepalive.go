package p2p

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"
	msmux "github.com/multiformats/go-multistream"
)

// Dead connections. A member whose process dies without closing its
// sockets (a crash, a power cut, a dropped link) leaves its peers holding
// a connection nothing answers on; with yamux's defaults it is noticed only
// after 30 to 50 s, and until then streams to a restarted member are opened
// on the dead connection and fail. So yamux's keep-alive runs every
// KeepAlive (default 5 s) on a connection that received nothing in that
// time, and a ping not answered within 2 × KeepAlive closes it: a TCP
// connection that dies is closed within 3 × KeepAlive (15 s). It costs one
// 12-byte frame per idle interval and nothing on a busy connection. QUIC
// connections keep their own keep-alive (15 s) and idle timeout (30 s),
// which go-libp2p v0.51 does not let us change; a member restarted on the
// same port resets the old QUIC connection at once (its stateless-reset
// key derives from its identity).
//
// Duplicates. Every KeepAlive, a member we hold two or more connections to
// has each pinged (libp2p ping, /ipfs/ping/1.0.0, on a stream of that very
// connection, answered within 2 × KeepAlive): one that does not answer is
// closed, and of the live ones the one dialled by the higher peer ID goes
// (both sides agree on which); of two that one side dialled, that side
// keeps the older. A dead connection never outlives a live one this way.

// keepAliveMuxer is go-libp2p's yamux with our keep-alive.
func keepAliveMuxer(keepAlive time.Duration) *yamux.Transport {
	t := *yamux.DefaultTransport
	t.EnableKeepAlive = true
	t.KeepAliveInterval = keepAlive
	t.ConnectionWriteTimeout = 2 * keepAlive
	return &t
}

// keepAliveLoop looks for duplicates every KeepAlive.
func (n *Network) keepAliveLoop(ctx context.Context) {
	tick := time.NewTicker(n.cfg.KeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n.closeDuplicates(ctx)
	}
}

// closeDuplicates pings every connection to a member we hold more than one
// connection to, closes those that do not answer, then the surplus among
// those that did.
func (n *Network) closeDuplicates(ctx context.Context) {
	var conns []network.Conn
	for _, p := range n.host.Network().Peers() {
		if cs := n.host.Network().ConnsToPeer(p); len(cs) > 1 && n.IsMember(p) {
			conns = append(conns, cs...)
		}
	}
	if len(conns) == 0 {
		return
	}
	alive := make([]bool, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := n.pingConn(ctx, c)
			if err == nil {
				alive[i] = true
				return
			}
			if ctx.Err() != nil || c.IsClosed() {
				return
			}
			n.stats.deadConnections.Add(1)
			n.log.Info("closing a connection that does not answer", "peer", c.RemotePeer(), "addr", c.RemoteMultiaddr(), "err", err)
			c.Close()
		}()
	}
	wg.Wait()
	live := make(map[peer.ID][]network.Conn)
	for i, c := range conns {
		if alive[i] && !c.IsClosed() {
			live[c.RemotePeer()] = append(live[c.RemotePeer()], c)
		}
	}
	for p, cs := range live {
		for _, c := range n.surplus(p, cs) {
			n.stats.duplicateConnections.Add(1)
			n.log.Debug("closing a second connection", "peer", p, "addr", c.RemoteMultiaddr())
			c.Close()
		}
	}
}

// surplus returns which of the live connections cs to p we close: every
// one dialled by the higher peer ID when the lower one dialled one too;
// of several dialled by one side, that side closes all but the oldest.
func (n *Network) surplus(p peer.ID, cs []network.Conn) []network.Conn {
	if len(cs) < 2 {
		return nil
	}
	low := min(n.host.ID(), p)
	dialer := func(c network.Conn) peer.ID {
		if c.Stat().Direction == network.DirOutbound {
			return n.host.ID()
		}
		return p
	}
	var byLow, byHigh []network.Conn
	for _, c := range cs {
		if dialer(c) == low {
			byLow = append(byLow, c)
		} else {
			byHigh = append(byHigh, c)
		}
	}
	var out []network.Conn
	keep := byHigh
	if len(byLow) > 0 {
		out, keep = byHigh, byLow
	}
	if len(keep) > 1 && dialer(keep[0]) == n.host.ID() {
		slices.SortFunc(keep, func(a, b network.Conn) int { return a.Stat().Opened.Compare(b.Stat().Opened) })
		out = append(out, keep[1:]...)
	}
	return out
}

// pingConn sends one ping on a new stream of c and waits, up to
// 2 × KeepAlive, for its echo. A peer that does not speak ping is alive.
func (n *Network) pingConn(ctx context.Context, c network.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, 2*n.cfg.KeepAlive)
	defer cancel()
	s, err := c.NewStream(ctx)
	if err != nil {
		return err
	}
	defer s.Reset() // after Close, a no-op
	deadline, _ := ctx.Deadline()
	s.SetDeadline(deadline)
	if err := s.SetProtocol(ping.ID); err != nil {
		return err
	}
	if err := msmux.SelectProtoOrFail(protocol.ID(ping.ID), s); err != nil {
		if errors.Is(err, msmux.ErrNotSupported[protocol.ID]{}) {
			return nil
		}
		return err
	}
	out := make([]byte, ping.PingSize)
	rand.Read(out)
	if _, err := s.Write(out); err != nil {
		return err
	}
	in := make([]byte, ping.PingSize)
	if _, err := io.ReadFull(s, in); err != nil {
		return err
	}
	if !bytes.Equal(in, out) {
		return errors.New("p2p: ping answered with other bytes")
	}
	return s.Close()
}
