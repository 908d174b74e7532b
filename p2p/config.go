package p2p

import (
	"crypto/ed25519"
	"errors"
	"log/slog"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/chain/witness"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Config configures a Network.
type Config struct {
	// Params are the genesis's chain parameters; Params.NetworkID names
	// every protocol and topic.
	Params chain.Params
	// GenesisHash is SHA-256 of the genesis file; a peer whose status
	// carries another is disconnected and banned for BanDuration.
	GenesisHash [32]byte
	// Members are the genesis members, the only peers admitted to gossip,
	// status and sync.
	Members chain.Members
	// Membership, if set, is the membership over time (membership.go):
	// Members are then only the genesis's.
	Membership Membership
	// Key is the institution's key: host identity and block signer.
	Key ed25519.PrivateKey
	// Store holds every chain. Nil makes a light client: DHT client mode,
	// no gossip, no status, no sync.
	Store *store.Store

	// ListenAddrs are the TCP and QUIC addresses to listen on.
	ListenAddrs []ma.Multiaddr
	// Transports, when set, replace the TCP and QUIC transports and
	// ListenAddrs (simnet passes its simulated links here).
	Transports []libp2p.Option
	// Bootstrap peers seed the DHT and are dialled at start: configured
	// addresses or the genesis members' addresses. Never public peers.
	Bootstrap []peer.AddrInfo
	// MaxPeers is the connection manager's high-water mark (default 200).
	MaxPeers int

	// ValidateQueue bounds blocks waiting for validation (default 256;
	// about 16 MiB of 64 KiB blocks). Beyond it pubsub drops, counted in
	// Stats.GossipDrops.
	ValidateQueue int
	// OutboundQueue bounds messages waiting to be sent to one peer
	// (default 128). Beyond it pubsub drops, counted in Stats.GossipDrops.
	OutboundQueue int
	// DiscoveryInterval is how often members are looked up in the DHT once
	// all are connected (default 1 min); until then every 2 s.
	DiscoveryInterval time.Duration
	// StatusInterval is how often a status is exchanged with a random
	// connected member (default 10 s), besides once on every connection
	// and once when a member joins the blocks topic.
	StatusInterval time.Duration
	// BanDuration is how long a peer of another network stays banned
	// (default 10 min).
	BanDuration time.Duration
	// KeepAlive is how long a connection may stay silent before it is
	// pinged; a ping unanswered for twice this closes it (default 5 s:
	// a dead TCP connection is closed within 15 s; keepalive.go).
	KeepAlive time.Duration
	// OrphanWait is how long a gossiped block ahead of our head waits for
	// its parent before it becomes a sync (default 250 ms; orphans.go).
	OrphanWait time.Duration
	// OrphanAsk is how long such a block waits for its parent by gossip
	// alone before the peer that sent it is asked for the parent by sync
	// (default 0: at once; longer than OrphanWait: never; orphans.go).
	OrphanAsk time.Duration

	// LostAfter is how long a member may stay disconnected before,
	// under sharded replication, the next members of the placement order
	// of each chain it holds take it over (default DefaultLostAfter;
	// shard.go).
	LostAfter time.Duration

	// OnStored, if set, is called after every block of another member is
	// stored, from gossip or sync (simnet measures propagation with it).
	// It must not block.
	OnStored func(b *chain.Block, viaSync bool)
	// OnCosigned, if set, is called with every statement this peer
	// cosigns, after it is persisted and before it is gossiped;
	// OnWitnessed with every other witness's statement it accepts. They
	// must not block (simnet measures the time to K cosignatures).
	OnCosigned, OnWitnessed func(s *witness.Statement)

	// Now reads the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

func (c *Config) setDefaults() error {
	if err := c.Params.Validate(); err != nil {
		return err
	}
	if len(c.Key) != ed25519.PrivateKeySize {
		return errors.New("p2p: an Ed25519 key is required")
	}
	if c.Store != nil && len(c.Members) == 0 {
		return errors.New("p2p: a member peer needs the genesis members")
	}
	if c.MaxPeers <= 0 {
		c.MaxPeers = 200
	}
	if c.ValidateQueue <= 0 {
		c.ValidateQueue = 256
	}
	if c.OutboundQueue <= 0 {
		c.OutboundQueue = 128
	}
	if c.DiscoveryInterval <= 0 {
		c.DiscoveryInterval = time.Minute
	}
	if c.StatusInterval <= 0 {
		c.StatusInterval = 10 * time.Second
	}
	if c.BanDuration <= 0 {
		c.BanDuration = 10 * time.Minute
	}
	if c.KeepAlive <= 0 {
		c.KeepAlive = 5 * time.Second
	}
	if c.OrphanWait <= 0 {
		c.OrphanWait = 250 * time.Millisecond
	}
	if c.LostAfter <= 0 {
		c.LostAfter = DefaultLostAfter
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Gossipsub's mesh degrees on both topics (gossip.go). A block crosses
// about log_D(members) hops, each costing the one-way latency plus the
// time a forwarder needs to push the block to its mesh peers, which
// share its uplink: a larger D means fewer hops but slower ones, and Dhi
// bounds the slowest (a peer's mesh grows to Dhi with grafts from
// others before a heartbeat prunes it back to D). Against gossipsub's
// defaults (6, 5, 12, 6), 8/6/10 took the median of a 64 KiB block to all
// of 100 simulated peers at 25 ms and 100 Mbit/s from 221 to 201–214 ms
// and the slowest block of a run from 357 to 275–343 ms; 4/3/6 made the
// tail worse (more hops) and 10/8/12 the median (more copies per hop),
// docs/BENCHMARKS.md. At 20 Mbit/s it costs about 3 %. With D = 8
// a member sends a block it receives to at most 9 others: 9.4 Mbit/s for
// a member forwarding every block of a network sealing two 64 KiB blocks
// a second, within a 20 Mbit/s uplink (IDONTWANT spares many), and a mesh of 6 to 10 of the members keeps its redundancy against a
// member that drops what it should forward. Dlazy = 8 offers IHAVE to as
// many more. IDONTWANT (gossipsub 1.2, on for messages above 1 KiB, and
// our message IDs) spares copies to peers that already announced the
// block; it cannot recall copies already on the wire.
const (
	meshD, meshDlo, meshDhi, meshDlazy = 8, 6, 10, 8
)
