package simnet

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/chain/witness"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/records"
)

// PeerSpec describes one member's peer.
type PeerSpec struct {
	Name  string
	Roles []config.Role
	Link  Link
	// Disk keeps the peer's store in a directory, so it survives a
	// restart; otherwise it is in memory and a restarted peer starts empty
	// and recovers its own chain from the other members (see the package
	// doc).
	Disk bool
	// Bootstrap are the peers dialled at start; nil means every genesis
	// member (the node's default).
	Bootstrap []int
	// Late peers are not started by Net.Start (late joiners).
	Late bool
}

// Peer is one member's running node (or a stopped one, between a crash and
// its restart).
type Peer struct {
	Index int
	Spec  PeerSpec
	Key   ed25519.PrivateKey
	// Issuer is the member's chain.
	Issuer chain.IssuerID
	bytes  *ByteCounter

	net *Net

	// busy admits the workloads' operations on the node; Stop closes it,
	// so no store is closed under a query.
	busy gate

	mu      sync.Mutex
	node    *node.Node
	query   *queryServer
	cancel  context.CancelFunc
	done    chan error
	started int // starts so far
}

// Running reports whether the peer's node runs.
func (p *Peer) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.node != nil
}

// Node returns the running node, or nil.
func (p *Peer) Node() *node.Node {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.node
}

// Ready reports whether the peer runs and has recovered its own chain, so
// it takes records (node.Node.Ready).
func (p *Peer) Ready() bool {
	nd := p.Node()
	if nd == nil {
		return false
	}
	select {
	case <-nd.Ready():
		return true
	default:
		return false
	}
}

// Store returns the running node's store, or nil.
func (p *Peer) Store() *store.Store {
	if nd := p.Node(); nd != nil {
		return nd.Store()
	}
	return nil
}

// Network returns the running node's network, or nil.
func (p *Peer) Network() *p2p.Network {
	if nd := p.Node(); nd != nil {
		return nd.Network()
	}
	return nil
}

// Bytes returns the stream bytes the peer's hosts sent and received since
// the run began, over all its restarts.
func (p *Peer) Bytes() *ByteCounter { return p.bytes }

func (p *Peer) home() config.Home {
	return config.Home(filepath.Join(p.net.dir, fmt.Sprintf("peer-%03d", p.Index)))
}

func (p *Peer) options() (node.Options, *signal, error) {
	n := p.net
	cfg := config.Default()
	cfg.Name = p.Spec.Name
	// The smallest block cache: a simulated peer's store is in memory
	// (or on the test's disk) and holds minutes of blocks, which Pebble's
	// default 128 MiB cache per peer would only duplicate.
	cfg.Store.CacheMB = config.MinCacheMB
	cfg.P2P.Listen = []string{Addr(p.Index).String()}
	for _, b := range p.Spec.Bootstrap {
		q := n.peers[b]
		cfg.P2P.Bootstrap = append(cfg.P2P.Bootstrap, fmt.Sprintf("%s/p2p/%s", Addr(b), peerid.OfKey(q.Key)))
	}
	home := p.home()
	if err := os.MkdirAll(string(home), 0o700); err != nil {
		return node.Options{}, nil, err
	}
	running := newSignal()
	var inner slog.Handler
	if n.cfg.Logger != nil {
		inner = n.cfg.Logger.With("peer", p.Spec.Name).Handler()
	}
	idx := p.Index
	return node.Options{
		Home:          home,
		Config:        cfg,
		Genesis:       n.genesis,
		Key:           p.Key,
		Secret:        n.secret,
		Logger:        slog.New(&peerHandler{inner: inner, running: running}),
		Transports:    n.links.Attach(p.Index, p.Spec.Link, p.bytes),
		NoAPI:         true,
		InMemoryStore: !p.Spec.Disk,
		OnBlockStored: func(b *chain.Block, viaSync bool) { n.rec.stored(idx, b, viaSync) },
		OnCosigned:    func(s *witness.Statement) { n.rec.cosigned(idx, s) },
		Now:           time.Now,
	}, running, nil
}

// Start runs the peer's node. It returns once the node is running.
func (p *Peer) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.node != nil {
		return fmt.Errorf("simnet: peer %d is already running", p.Index)
	}
	o, running, err := p.options()
	if err != nil {
		return err
	}
	nd, err := node.New(o)
	if err != nil {
		return fmt.Errorf("simnet: peer %d: %w", p.Index, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- nd.Run(ctx) }()
	select {
	case <-running.ch:
	case err := <-done:
		cancel()
		return fmt.Errorf("simnet: peer %d: %w", p.Index, err)
	}
	qs := newQueryServer(p, nd)
	p.node, p.query, p.cancel, p.done = nd, qs, cancel, done
	p.started++
	p.net.rec.peerUp(p.Index, time.Now())
	return nil
}

// Stop shuts the node down cleanly and waits for it, after the workloads'
// operations under way on it have ended.
func (p *Peer) Stop() error {
	p.busy.close()
	defer p.busy.open()
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.node, p.query, p.cancel, p.done = nil, nil, nil, nil
	p.mu.Unlock()
	if cancel == nil {
		return nil
	}
	p.net.rec.peerDown(p.Index, time.Now())
	cancel()
	return <-done
}

// Crash cuts the peer off the network, so no one hears it leave, then
// stops it. Peers see it vanish as after a power cut; its own state is
// what a stop leaves (pending records sealed and on disk).
func (p *Peer) Crash() error {
	p.net.links.Isolate(p.Index, true)
	defer p.net.links.Isolate(p.Index, false)
	return p.Stop()
}

// Submit hands records to the peer's node; errs[i] is nil once record i
// is durable (node.Submit).
func (p *Peer) Submit(ctx context.Context, recs []records.Record) ([]error, error) {
	p.mu.Lock()
	nd := p.node
	p.mu.Unlock()
	if nd == nil {
		return nil, ErrNotRunning
	}
	return nd.Submit(ctx, recs)
}

// Pending returns how many accepted records wait to be sealed.
func (p *Peer) Pending() int {
	p.mu.Lock()
	nd := p.node
	p.mu.Unlock()
	if nd == nil {
		return 0
	}
	return nd.Pending()
}

// ErrNotRunning is returned for work sent to a stopped peer.
var ErrNotRunning = errors.New("simnet: peer is not running")

// use runs f with the peer's query server while no Stop can close it; it
// reports false, without calling f, if the peer does not run.
func (p *Peer) use(f func(qs *queryServer)) bool {
	if !p.busy.enter() {
		return false
	}
	defer p.busy.leave()
	p.mu.Lock()
	qs := p.query
	p.mu.Unlock()
	if qs == nil {
		return false
	}
	f(qs)
	return true
}
