package p2p

import (
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
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
		libp2p.UserAgent("credmesh"),
	}
	if cfg.Transports != nil {
		opts = append(opts, cfg.Transports...)
	} else {
		opts = append(opts,
			libp2p.Transport(tcp.NewTCPTransport),
			libp2p.Transport(quic.NewTransport),
			libp2p.ListenAddrs(cfg.ListenAddrs...),
		)
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		rm.Close()
		return nil, fmt.Errorf("p2p: starting host: %w", err)
	}
	return h, nil
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
