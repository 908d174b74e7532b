package simnet

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// NetConfig describes a simulated network of member peers.
type NetConfig struct {
	// NetworkID names the network (default "simnet").
	NetworkID string
	// Peers are the members, in genesis order; peer i is at Addr(i).
	Peers []PeerSpec
	// Params are the genesis parameters (zero fields take defaults; no
	// fee means 2.00 CNY per credit query).
	Params config.GenesisParams
	// RegionLatency is the extra one-way latency between regions.
	RegionLatency time.Duration
	// Dir holds the homes of peers with a disk store (default: a new
	// temporary directory, removed by Close).
	Dir string
	// Logger receives every node's log, with a "peer" attribute (default:
	// nothing is logged).
	Logger *slog.Logger
}

// Net is a simulated network: its links, genesis and peers, and the
// recorder every peer reports stored blocks to.
type Net struct {
	cfg     NetConfig
	links   *Links
	genesis *config.Genesis
	secret  []byte
	peers   []*Peer
	rec     *Recorder
	dir     string
	ownDir  bool

	mu     sync.Mutex
	lights []*LightClient
}

// NewNet makes every member's key and the genesis, with every member's
// simulated address, and starts the links. No peer runs yet.
func NewNet(cfg NetConfig) (*Net, error) {
	if cfg.NetworkID == "" {
		cfg.NetworkID = "simnet"
	}
	if cfg.Params.FeeCurrency == "" && cfg.Params.QueryFeeMinor == 0 {
		cfg.Params.QueryFeeMinor, cfg.Params.FeeCurrency = 200, "CNY"
	}
	if len(cfg.Peers) == 0 {
		return nil, errors.New("simnet: no peers")
	}
	n := &Net{cfg: cfg, secret: config.GenerateSecret(), dir: cfg.Dir}
	if n.dir == "" {
		d, err := os.MkdirTemp("", "credmesh-simnet-")
		if err != nil {
			return nil, err
		}
		n.dir, n.ownDir = d, true
	}
	members := make([]config.Member, len(cfg.Peers))
	issuers := make(map[chain.IssuerID]int, len(cfg.Peers))
	for i, spec := range cfg.Peers {
		key, err := config.GenerateKey()
		if err != nil {
			return nil, err
		}
		if spec.Name == "" {
			spec.Name = fmt.Sprintf("member-%03d", i)
		}
		if len(spec.Roles) == 0 {
			spec.Roles = []config.Role{config.RolePayments, config.RoleCredit, config.RoleQuery}
		}
		p := &Peer{Index: i, Spec: spec, Key: key, Issuer: chain.IssuerOf(key.Public().(ed25519.PublicKey)), bytes: NewByteCounter(), net: n}
		n.peers = append(n.peers, p)
		issuers[p.Issuer] = i
		members[i] = config.Member{ID: peerid.OfKey(key), Name: spec.Name, Roles: spec.Roles, Addrs: []ma.Multiaddr{Addr(i)}}
	}
	params := cfg.Params
	params.SubjectSecretFingerprint = config.SecretFingerprint(cfg.NetworkID, n.secret)
	n.genesis = config.NewGenesis(cfg.NetworkID, time.Now().Add(-time.Minute), members, params)
	if err := n.genesis.Validate(); err != nil {
		return nil, err
	}
	n.rec = newRecorder(time.Now(), issuers)
	n.links = NewLinks(cfg.RegionLatency)
	return n, nil
}

// Start runs every peer that is not a late joiner.
func (n *Net) Start() error {
	for _, p := range n.peers {
		if p.Spec.Late {
			continue
		}
		if err := p.Start(); err != nil {
			return err
		}
	}
	return nil
}

// Close stops every peer and light client, then the links, and removes the
// temporary directory.
func (n *Net) Close() error {
	var errs []error
	n.mu.Lock()
	lights := n.lights
	n.lights = nil
	n.mu.Unlock()
	for _, lc := range lights {
		errs = append(errs, lc.Close())
	}
	var wg sync.WaitGroup
	perr := make([]error, len(n.peers))
	for i, p := range n.peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			perr[i] = p.Stop()
		}()
	}
	wg.Wait()
	errs = append(errs, perr...)
	n.links.Close()
	if n.ownDir {
		errs = append(errs, os.RemoveAll(n.dir))
	}
	return errors.Join(errs...)
}

// Peers returns the member peers, by index.
func (n *Net) Peers() []*Peer { return n.peers }

// Links returns the simulated links (partitions, isolation).
func (n *Net) Links() *Links { return n.links }

// Recorder returns what the run measured so far.
func (n *Net) Recorder() *Recorder { return n.rec }

// Genesis returns the network's genesis.
func (n *Net) Genesis() *config.Genesis { return n.genesis }

// Secret returns the members' subject secret.
func (n *Net) Secret() []byte { return n.secret }

// AddrInfo returns peer i's ID and simulated address.
func (n *Net) AddrInfo(i int) peer.AddrInfo {
	return peer.AddrInfo{ID: peerid.OfKey(n.peers[i].Key), Addrs: []ma.Multiaddr{Addr(i)}}
}

// Running returns the peers whose node runs.
func (n *Net) Running() []*Peer {
	var out []*Peer
	for _, p := range n.peers {
		if p.Running() {
			out = append(out, p)
		}
	}
	return out
}

// logger returns the logger of one peer or client: Logger with a "peer"
// attribute, or a silent one.
func (n *Net) logger(name string) *slog.Logger {
	if n.cfg.Logger == nil {
		return discardLogger()
	}
	return n.cfg.Logger.With("peer", name)
}
