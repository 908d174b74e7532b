package node

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/chain/governance"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/creditsource"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/prometheus/client_golang/prometheus"
)

// Node is one running peer.
type Node struct {
	opts    Options
	log     *slog.Logger
	params  chain.Params
	self    chain.IssuerID
	store   *store.Store
	builder *builder.Builder
	net     *p2p.Network
	query   *queryproto.Server
	source  creditsource.Source // nil: the store's private records
	reports *queryproto.Reporter
	api     *api.Server
	reg     *prometheus.Registry
	names   map[chain.IssuerID]string
	own     *ownChain
	view    *governance.View // the membership over time (membership.go)
	// decisions caches the proofs of passed decisions (member.go).
	decisions atomic.Pointer[decisionCache]

	guardStop context.CancelFunc
	guardDone chan struct{}

	queryLatency queryLatency
	activity     chan activityEvent // blocks for the activity log (activitylog.go)

	accepted, refused, sealed atomic.Uint64
}

// New opens the store and starts the network and the API listener; Run
// starts the work.
func New(o Options) (n *Node, err error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = NewLogger(o.Config.Log, nil)
	}
	if err := o.Genesis.CheckSecret(o.Secret); err != nil {
		// Another secret derives other subject references: our imports
		// would be invisible to the others and theirs to us.
		var we *config.WrongSecretError
		if errors.As(err, &we) && o.Home != "" {
			we.SecretFile, we.GenesisFile = o.Home.SecretPath(), o.Home.GenesisPath()
		}
		return nil, err
	}
	n = &Node{opts: o, log: o.Logger, params: o.Genesis.ChainParams(), names: make(map[chain.IssuerID]string), queryLatency: newQueryLatency(),
		activity: make(chan activityEvent, 256)}
	n.self = chain.IssuerOf(o.Key.Public().(ed25519.PublicKey))
	for id, m := range o.Genesis.MemberPeers() {
		iss, err := peerid.Issuer(id)
		if err != nil {
			return nil, err
		}
		n.names[iss] = m.Name
	}
	others := len(n.names)
	if _, ok := n.names[n.self]; ok {
		others--
	}
	need, err := recoveryNeed(o.Config.Recovery.MinAnswers, others, o.TrustLocalChain)
	if err != nil {
		return nil, err
	}
	n.own = newOwnChain(need, o.TrustLocalChain)
	cleanup := func(f func() error) {
		if err != nil {
			f()
		}
	}
	if n.store, err = store.Open(o.Home.DataDir(), n.storeDiskOptions(store.Options{CacheBytes: int64(o.Config.Store.CacheMB) << 20, Logger: n.log, InMemory: o.InMemoryStore})); err != nil {
		return nil, err
	}
	defer cleanup(n.store.Close)
	if n.view, err = loadMembership(o.Genesis, n.store); err != nil {
		return nil, err
	}
	n.warnIfNoMember()
	if n.builder, err = builder.New(builder.Config{Params: n.params, Members: o.Genesis.Members(), Epoch: n.epochAt, Key: o.Key, Store: n.store, Now: o.Now, Logger: n.log, Held: true}); err != nil {
		return nil, err
	}
	pcfg, err := n.p2pConfig()
	if err != nil {
		return nil, err
	}
	if n.net, err = p2p.New(pcfg); err != nil {
		return nil, err
	}
	defer cleanup(n.net.Close)
	defer cleanup(n.closeSource)
	if err := n.startQuery(); err != nil {
		return nil, err
	}
	defer cleanup(n.query.Close)
	n.reg = n.newRegistry()
	if !o.NoAPI {
		if n.api, err = api.Listen(n, api.Options{Listen: o.Config.API.Listen, Token: o.Config.API.Token, Gatherer: n.reg, Logger: n.log}); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (n *Node) p2pConfig() (p2p.Config, error) {
	c := p2p.Config{
		Params:      n.params,
		GenesisHash: n.opts.Genesis.Hash(),
		Members:     n.opts.Genesis.Members(),
		Membership:  n.view,
		Key:         n.opts.Key,
		Store:       n.store,
		Transports:  n.opts.Transports,
		MaxPeers:    n.opts.Config.P2P.MaxPeers,
		Now:         n.opts.Now,
		Logger:      n.log,
		OnStored:    n.onStored,
		OnCosigned:  n.opts.OnCosigned,
	}
	for _, s := range n.opts.Config.P2P.Listen {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return c, fmt.Errorf("config.toml: p2p.listen: %q: %w", s, err)
		}
		c.ListenAddrs = append(c.ListenAddrs, a)
	}
	self := peerid.OfKey(n.opts.Key)
	if len(n.opts.Config.P2P.Bootstrap) > 0 {
		for _, s := range n.opts.Config.P2P.Bootstrap {
			ai, err := peer.AddrInfoFromString(s)
			if err != nil {
				return c, fmt.Errorf("config.toml: p2p.bootstrap: %q: %w", s, err)
			}
			c.Bootstrap = append(c.Bootstrap, *ai)
		}
	} else {
		for _, m := range n.opts.Genesis.MemberList() {
			if ai := m.AddrInfo(); ai.ID != self && len(ai.Addrs) > 0 {
				c.Bootstrap = append(c.Bootstrap, ai)
			}
		}
	}
	return c, nil
}

// Pending returns how many accepted records wait to be sealed.
func (n *Node) Pending() int { return n.builder.Pending() }

// Issuer returns the issuer ID of our own chain.
func (n *Node) Issuer() chain.IssuerID { return n.self }

// PeerID returns the node's peer ID.
func (n *Node) PeerID() peer.ID { return n.net.ID() }

// APIAddr returns the address the API listens on ("" without an API).
func (n *Node) APIAddr() string {
	if n.api == nil {
		return ""
	}
	return n.api.Addr()
}

// ListenAddrs returns the p2p addresses, with /p2p/<id>.
func (n *Node) ListenAddrs() []string {
	var out []string
	for _, a := range n.net.Host().Addrs() {
		out = append(out, a.String()+"/p2p/"+n.net.ID().String())
	}
	return out
}

// Store returns the node's store (read-only use).
func (n *Node) Store() *store.Store { return n.store }

// Network returns the node's network.
func (n *Node) Network() *p2p.Network { return n.net }

// Run does the node's work until ctx ends, then shuts down cleanly.
func (n *Node) Run(ctx context.Context) error {
	bctx, bcancel := context.WithCancel(context.Background())
	defer bcancel()
	berr := make(chan error, 1)
	go func() { berr <- n.builder.Run(bctx) }()
	aerr := make(chan error, 1)
	if n.api != nil {
		go func() { aerr <- n.api.Serve() }()
	}
	pctx, pcancel := context.WithCancel(context.Background())
	pruned := make(chan struct{})
	go func() {
		defer close(pruned)
		n.pruneLoop(pctx, cmp.Or(n.opts.PruneInterval, time.Hour))
	}()
	stopPruning := func() {
		pcancel()
		<-pruned
	}
	stopDisk := n.watchDisk()
	stopActivity := n.watchActivity()
	gctx, gstop := context.WithCancel(context.Background())
	n.guardStop, n.guardDone = gstop, make(chan struct{})
	go func() {
		defer close(n.guardDone)
		n.guard(gctx)
	}()
	n.log.Info("peer running", "peer", n.net.ID(), "api", n.APIAddr(), "network", n.params.NetworkID)

	var runErr error
loop:
	for {
		select {
		case b, ok := <-n.builder.Sealed():
			if !ok {
				break loop
			}
			n.publish(b)
		case err := <-berr:
			runErr = fmt.Errorf("builder stopped: %w", err)
			berr <- err
			break loop
		case err := <-aerr:
			runErr = fmt.Errorf("api stopped: %w", err)
			break loop
		case <-ctx.Done():
			break loop
		}
	}
	stopDisk()
	defer stopActivity() // after shutdown, which seals and logs a last block
	return errors.Join(runErr, n.shutdown(bcancel, berr, stopPruning))
}

// shutdown stops the peer in the order that loses nothing and never uses
// a closed store: the API stops taking requests and waits for those under
// way; what is pending is sealed into a last block and published; the
// query server stops and waits for its handlers; pruning and the builder
// stop; the network stops and waits for its handlers and validators; only
// then is the store closed.
func (n *Node) shutdown(stopBuilder context.CancelFunc, berr chan error, stopPruning func()) error {
	n.log.Info("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	if n.api != nil {
		errs = append(errs, n.api.Shutdown(ctx))
	}
	n.guardStop()
	<-n.guardDone
	flushed := make(chan error, 1)
	go func() { flushed <- n.builder.Flush(ctx) }()
	for waiting := true; waiting; {
		select {
		case b, ok := <-n.builder.Sealed():
			if ok {
				n.publish(b)
			}
		case err := <-flushed:
			if err != nil && !errors.Is(err, builder.ErrClosed) {
				errs = append(errs, fmt.Errorf("sealing pending entries: %w", err))
			}
			waiting = false
		}
	}
	if left := n.builder.Pending(); left > 0 {
		// Held (recovering, halted) or refused for lack of space: the
		// records are durable in the pending log.
		n.log.Warn("accepted records not sealed before stopping; they stay in the pending log for the next start", "pending", left)
	}
	errs = append(errs, n.query.Close(), n.closeSource())
	stopPruning()
	stopBuilder()
	for b := range n.builder.Sealed() {
		n.publish(b)
	}
	<-berr
	errs = append(errs, n.net.Close(), n.store.Close())
	n.log.Info("stopped")
	return errors.Join(errs...)
}

// pruneLoop drops expired negative entries every interval, from a
// goroutine of its own, so a long pass never holds up sealing, publishing
// or the blocks gossip brings (Store.Prune works in small batches beside
// the appends).
func (n *Node) pruneLoop(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		c, err := n.store.Prune(ctx, n.opts.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			n.log.Error("pruning expired entries", "err", err)
		case c > 0:
			n.log.Info("pruned expired negative entries", "count", c)
		}
	}
}

// onStored is told of every block of another member the network stores.
func (n *Node) onStored(b *chain.Block, viaSync bool) {
	n.noteMembership(b)
	n.noteBlock(activityEvent{iss: b.Issuer, height: b.Height, viaSync: viaSync})
	if n.opts.OnBlockStored != nil {
		n.opts.OnBlockStored(b, viaSync)
	}
}

func (n *Node) publish(b *chain.Block) {
	n.sealed.Add(1)
	n.noteMembership(b)
	n.noteBlock(activityEvent{iss: b.Issuer, height: b.Height, entries: len(b.Entries), own: true})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.net.Publish(ctx, b); err != nil {
		n.log.Warn("publishing block; peers will sync it", "height", b.Height, "err", err)
	}
}
