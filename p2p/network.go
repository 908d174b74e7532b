package p2p

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/internal/gate"
	"github.com/credmesh/credmesh/internal/peerid"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Network is one peer's presence on the network: host, DHT, gossip, status
// and sync. A member peer replicates every chain into its store; a light
// client (nil Store) only finds peers and opens the query protocol.
type Network struct {
	cfg     Config
	self    chain.IssuerID
	host    host.Host
	state   *state // shared mutable state, under one lock (state.go)
	dht     *dht.IpfsDHT
	members map[peer.ID]chain.IssuerID
	log     *slog.Logger
	stats   counters
	traffic gossipTraffic // gossip bytes per topic class (gossip_traffic.go)

	// Member peers only.
	ps       *pubsub.PubSub
	blocks   *pubsub.Topic
	evidence *pubsub.Topic
	sync     *syncer
	orphans  *orphans // blocks waiting for their parent (orphans.go)
	// shard is sharded replication's state, nil under full replication;
	// shardHeaders its headers topic (shard.go).
	shard        *shard
	shardHeaders *pubsub.Topic
	// witnessTopic and witness: cosigned heads (witness_*.go).
	witnessTopic *pubsub.Topic
	witness      *witnessing
	own          *ownAlarms
	// gate admits stream handlers and validators, which use the store;
	// Close shuts it and waits for them.
	gate gate.Gate

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	providers *providerDatastore // the DHT's provider records (providers.go)
	started   time.Time          // the start dial rule counts from here (connections.go)
}

// New starts the peer's networking. Close stops it.
func New(cfg Config) (*Network, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	n := &Network{
		started: time.Now(),
		cfg:     cfg,
		self:    chain.IssuerOf(cfg.Key.Public().(ed25519.PublicKey)),
		state:   newState(),
		members: make(map[peer.ID]chain.IssuerID, len(cfg.Members)),
		orphans: newOrphans(),
		own:     newOwnAlarms(),
	}
	n.providers = newProviderDatastore(n.IsMember, len(cfg.Members))
	if cfg.Store != nil {
		n.shard = newShard(cfg.Members, cfg.Params.ReplicationFactor, n.self, cfg.Now())
	}
	for iss := range cfg.Members {
		id, err := peerid.FromIssuer(iss)
		if err != nil {
			return nil, fmt.Errorf("p2p: member %s: %w", iss.Short(), err)
		}
		n.members[id] = iss
	}
	cm, err := newConnManager(cfg.MaxPeers)
	if err != nil {
		return nil, err
	}
	if n.host, err = newHost(&n.cfg, &gater{st: n.state, now: cfg.Now}, cm); err != nil {
		return nil, err
	}
	n.log = cfg.Logger.With("peer", n.host.ID().String())
	for id := range n.members {
		cm.Protect(id, "member")
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	if err := n.start(); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

func (n *Network) start() error {
	var err error
	if n.dht, err = newDHT(n); err != nil {
		return err
	}
	if n.cfg.Store != nil {
		if err := n.loadEvidence(); err != nil {
			return err
		}
		if err := n.loadWitness(); err != nil {
			return err
		}
		identified, err := n.host.EventBus().Subscribe(new(event.EvtPeerIdentificationCompleted))
		if err != nil {
			return err
		}
		if err := n.startGossip(); err != nil {
			identified.Close()
			return err
		}
		joins, err := n.blocks.EventHandler()
		if err != nil {
			identified.Close()
			return err
		}
		n.sync = newSyncer(n)
		if err := n.startShard(); err != nil {
			identified.Close()
			return err
		}
		n.host.SetStreamHandler(StatusProtocol(n.cfg.Params.NetworkID), n.gatedStream(n.handleStatus))
		n.host.SetStreamHandler(SyncProtocol(n.cfg.Params.NetworkID), n.gatedStream(n.handleSync))
		n.goLoop(n.sync.run)
		n.goLoop(n.reconnectLoop)
		n.goLoop(func(ctx context.Context) { n.statusLoop(ctx, identified, joins) })
	}
	n.goLoop(n.discoveryLoop)
	n.goLoop(n.keepAliveLoop)
	return nil
}

func (n *Network) goLoop(f func(context.Context)) {
	n.goTracked(func() { f(n.ctx) })
}

// goTracked runs f on a goroutine that Close waits for. Every goroutine of
// the network is started here, by New or by one of these goroutines (or,
// for fork probes, by a validator, which Close waits for first), so the
// count cannot rise from zero while Close waits; f must return once n.ctx
// is done. (The goroutine leak test knows this function's name.)
func (n *Network) goTracked(f func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
}

// Close stops every loop and the host. When it returns, nothing of the
// network uses the store any more: handlers and validators still running
// have finished, and new ones are refused.
func (n *Network) Close() error {
	n.cancel()
	if n.ps != nil {
		n.host.RemoveStreamHandler(StatusProtocol(n.cfg.Params.NetworkID))
		n.host.RemoveStreamHandler(SyncProtocol(n.cfg.Params.NetworkID))
	}
	n.gate.Close()
	var err error
	if n.dht != nil {
		err = n.dht.Close()
	}
	if n.host != nil {
		if e := n.host.Close(); e != nil && err == nil {
			err = e
		}
	}
	n.wg.Wait()
	return err
}

// Host returns the libp2p host, for protocols built on top (queryproto).
func (n *Network) Host() host.Host { return n.host }

// ID returns our peer ID.
func (n *Network) ID() peer.ID { return n.host.ID() }

// IsMember reports whether p is a genesis member.
func (n *Network) IsMember(p peer.ID) bool {
	if n.cfg.Membership != nil {
		return n.admitted(p)
	}
	_, ok := n.members[p]
	return ok
}

// AddrInfo returns our peer ID and listen addresses.
func (n *Network) AddrInfo() peer.AddrInfo {
	return peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()}
}

// ConnectedMembers returns the members we hold a connection to.
func (n *Network) ConnectedMembers() []peer.ID {
	var out []peer.ID
	for _, p := range n.host.Network().Peers() {
		if n.IsMember(p) {
			out = append(out, p)
		}
	}
	return out
}
