package p2p

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/credmesh/credmesh/internal/version"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
)

// Resource limits of our own protocols, per peer. A member syncing, a
// status exchange and a burst of queries must fit; one peer must not be
// able to hold more than this many streams or this much memory of ours.
var (
	statusPeerLimit = rcmgr.BaseLimit{Streams: 4, StreamsInbound: 2, StreamsOutbound: 2, Memory: 2 * MaxStatusBytes}
	syncPeerLimit   = rcmgr.BaseLimit{Streams: 8, StreamsInbound: 4, StreamsOutbound: 4, Memory: 4 * MaxSyncBytes}
	queryPeerLimit  = rcmgr.BaseLimit{Streams: 64, StreamsInbound: 32, StreamsOutbound: 32, Memory: 16 << 20}
)

// newHost builds the libp2p host: the institution's key as identity, TCP
// and QUIC (or the caller's transports), Noise, yamux, a resource manager
// with explicit limits for our protocols, a connection manager and the
// gater.
func newHost(cfg *Config, g *gater, cm *connmgr.BasicConnMgr) (host.Host, error) {
	key, err := hostKey(cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("p2p: host key: %w", err)
	}
	limits := rcmgr.DefaultLimits
	none := rcmgr.BaseLimitIncrease{}
	limits.AddProtocolPeerLimit(StatusProtocol(cfg.Params.NetworkID), statusPeerLimit, none)
	limits.AddProtocolPeerLimit(SyncProtocol(cfg.Params.NetworkID), syncPeerLimit, none)
	limits.AddProtocolPeerLimit(QueryProtocol(cfg.Params.NetworkID), queryPeerLimit, none)
	// Metrics off: with them on, every scope event formats a timestamp,
	// a fifth of the CPU of a payment lookup.
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.AutoScale()), rcmgr.WithMetricsDisabled())
	if err != nil {
		return nil, fmt.Errorf("p2p: resource manager: %w", err)
	}
	opts := []libp2p.Option{
		libp2p.Identity(key),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, keepAliveMuxer(cfg.KeepAlive)),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionManager(cm),
		libp2p.ConnectionGater(g),
		libp2p.DisableRelay(),
		libp2p.UserAgent("credmesh/" + version.String()),
	}
	if cfg.Transports != nil {
		opts = append(opts, cfg.Transports...)
	} else {
		// Listening is done below, one address at a time: libp2p's own
		// listening succeeds if any address does, and a peer whose TCP
		// port is taken would run on QUIC alone with no word said.
		opts = append(opts,
			libp2p.Transport(tcp.NewTCPTransport),
			libp2p.Transport(quic.NewTransport),
			libp2p.NoListenAddrs,
		)
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		rm.Close()
		return nil, fmt.Errorf("p2p: starting host: %w", err)
	}
	if cfg.Transports == nil {
		for _, a := range cfg.ListenAddrs {
			if err := listenOn(h, a); err != nil {
				h.Close()
				return nil, &ListenError{Addr: a, Err: err}
			}
		}
	}
	return h, nil
}

// ListenError says that the host could not listen on one of its
// addresses; the peer does not start on the others, so that it never runs
// short of a transport unnoticed.
type ListenError struct {
	Addr ma.Multiaddr
	Err  error
}

func (e *ListenError) Error() string {
	hint := ""
	if errors.Is(e.Err, syscall.EADDRINUSE) {
		hint = " (another program, or another credmesh peer, uses this port)"
	}
	return fmt.Sprintf("p2p: cannot listen on %s: %v%s", e.Addr, e.Err, hint)
}

func (e *ListenError) Unwrap() error { return e.Err }

// listenOn makes h listen on a alone, returning the transport's own error
// (the swarm's Listen words it as "failed to listen on any addresses").
func listenOn(h host.Host, a ma.Multiaddr) error {
	if sw, ok := h.Network().(interface{ AddListenAddr(ma.Multiaddr) error }); ok {
		return sw.AddListenAddr(a)
	}
	return h.Network().Listen(a)
}

func newConnManager(maxPeers int) (*connmgr.BasicConnMgr, error) {
	low := max(maxPeers*3/4, 1)
	return connmgr.NewConnManager(low, maxPeers, connmgr.WithGracePeriod(time.Minute))
}

// reserve reserves n bytes of s's memory scope for a read, as
// go-libp2p's own protocols do.
func reserve(s network.Stream, n int) error {
	return s.Scope().ReserveMemory(n, network.ReservationPriorityAlways)
}
