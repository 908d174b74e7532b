package p2p

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/placement"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
)

// Sharded replication (chain.Params.ReplicationFactor = R > 0; docs/SCALE.md).
// A member holds in full its own chain and the chains placement gives it
// (package placement), and of every other chain only the latest signed
// header. Bodies travel on one topic per chain (ChainTopic), joined by
// the chain's holders only; every block's signed header travels on
// HeadersTopic, joined by every member. Status and sync are unchanged:
// status carries the heads of the chains a member holds, and a head of a
// chain we do not hold updates our header of it instead of becoming a
// sync. A holder that has not been connected to us, or has not answered
// our liveness pings (shard_liveness.go), for LostAfter is down
// (from our point of view; a peer connected to fewer than half the
// members judges nobody); once enough of a chain's holders are down that
// we are among the first R of its order still up (placement.Live), we
// start holding it: we join its topic and ask the holders still up for
// their status, whose head of it the syncer then fetches. A chain once
// held is kept when the lost member comes back (over-replication costs
// disk, never safety).
//
// The shard has its own lock, a leaf like the orphans': held for map work
// only, never across a pubsub call, I/O or another lock.

// HeadersTopic carries one signed block header per message (sharded
// replication).
func HeadersTopic(network string) string { return "/credmesh/" + network + "/headers/1" }

// ChainTopic carries the blocks of one issuer's chain (sharded
// replication): joined by the members that hold it.
func ChainTopic(network string, issuer chain.IssuerID) string {
	return "/credmesh/" + network + "/chain/1/" + issuer.String()
}

// DefaultLostAfter is Config.LostAfter's default.
const DefaultLostAfter = 10 * time.Second

// shardCheckInterval is how often the shard loop looks for lost holders.
const shardCheckInterval = time.Second

type shard struct {
	pl   *placement.Placement
	self chain.IssuerID

	mu struct {
		sync.Mutex
		held    map[chain.IssuerID]*pubsub.Topic       // chains held in full
		headers map[chain.IssuerID]*chain.SignedHeader // latest verified header of each chain not held
		seen    map[chain.IssuerID]time.Time           // when each member was last seen connected
		// quorumSince is when we were last found connected to half the
		// members or more after being below (zero: below now).
		quorumSince time.Time
		// silent are watched members whose last liveness ping failed;
		// pinging those with a ping under way (shard_liveness.go).
		silent  map[chain.IssuerID]bool
		failed  map[chain.IssuerID]int // liveness rounds failed in a row
		pinging map[chain.IssuerID]bool
	}
	watched []chain.IssuerID // members pinged for liveness, fixed at start
	taken   atomic.Uint64    // chains taken over from a lost holder
}

// newShard returns nil under full replication.
func newShard(members chain.Members, r int, self chain.IssuerID, now time.Time) *shard {
	pl := placement.New(members, r)
	if !pl.Sharded() {
		return nil
	}
	s := &shard{pl: pl, self: self}
	s.mu.held = make(map[chain.IssuerID]*pubsub.Topic)
	s.mu.headers = make(map[chain.IssuerID]*chain.SignedHeader)
	s.mu.seen = make(map[chain.IssuerID]time.Time, len(members))
	s.mu.silent = make(map[chain.IssuerID]bool)
	s.mu.pinging = make(map[chain.IssuerID]bool)
	s.mu.failed = make(map[chain.IssuerID]int)
	s.watched = s.watchedMembers()
	for m := range members {
		s.mu.seen[m] = now
	}
	return s
}

// holds reports whether we hold iss's chain in full: always under full
// replication.
func (n *Network) holds(iss chain.IssuerID) bool {
	if n.shard == nil {
		return true
	}
	n.shard.mu.Lock()
	defer n.shard.mu.Unlock()
	_, ok := n.shard.mu.held[iss]
	return ok
}

// shardTopics are the topics sharded replication adds to the blocks and
// evidence topics: the headers topic and every member's chain topic.
func (n *Network) shardTopics() []string {
	if n.shard == nil {
		return nil
	}
	net := n.cfg.Params.NetworkID
	out := []string{HeadersTopic(net)}
	for _, iss := range n.shard.pl.Members() {
		out = append(out, ChainTopic(net, iss))
	}
	return out
}

// startShard joins the headers topic and the topics of the chains we
// hold by placement, and starts the loop that takes over chains whose
// holders are lost. The caller has started gossip and the syncer.
func (n *Network) startShard() error {
	if n.shard == nil {
		return nil
	}
	ht := HeadersTopic(n.cfg.Params.NetworkID)
	if err := n.ps.RegisterTopicValidator(ht, n.gatedValidator(n.validateHeaderMsg)); err != nil {
		return err
	}
	t, err := n.ps.Join(ht)
	if err != nil {
		return err
	}
	sub, err := t.Subscribe()
	if err != nil {
		return err
	}
	n.shardHeaders = t
	n.goLoop(func(ctx context.Context) { drain(ctx, sub) })
	for _, iss := range n.shard.pl.Chains(n.self) {
		if err := n.holdChain(iss); err != nil {
			return err
		}
	}
	n.goLoop(n.shardLoop)
	return nil
}

// holdChain joins iss's chain topic, so its blocks reach us, and marks the
// chain held. Holding twice is a no-op.
func (n *Network) holdChain(iss chain.IssuerID) error {
	if n.holds(iss) {
		return nil
	}
	name := ChainTopic(n.cfg.Params.NetworkID, iss)
	if err := n.ps.RegisterTopicValidator(name, n.gatedValidator(n.chainValidator(iss))); err != nil {
		return err
	}
	t, err := n.ps.Join(name)
	if err != nil {
		return err
	}
	sub, err := t.Subscribe()
	if err != nil {
		return err
	}
	n.shard.mu.Lock()
	n.shard.mu.held[iss] = t
	delete(n.shard.mu.headers, iss)
	n.shard.mu.Unlock()
	n.goLoop(func(ctx context.Context) { drain(ctx, sub) })
	return nil
}

// publishSharded gossips one of our blocks on our chain's topic and its
// signed header on the headers topic.
func (n *Network) publishSharded(ctx context.Context, b *chain.Block) error {
	n.shard.mu.Lock()
	t := n.shard.mu.held[n.self]
	n.shard.mu.Unlock()
	if err := t.Publish(ctx, b.Marshal()); err != nil {
		return err
	}
	return n.shardHeaders.Publish(ctx, b.SignedHeader.Marshal())
}

// HeldChains returns the issuers whose chains we hold in full, sorted by
// key; nil under full replication (every chain is held).
func (n *Network) HeldChains() []chain.IssuerID {
	if n.shard == nil {
		return nil
	}
	n.shard.mu.Lock()
	out := make([]chain.IssuerID, 0, len(n.shard.mu.held))
	for iss := range n.shard.mu.held {
		out = append(out, iss)
	}
	n.shard.mu.Unlock()
	slices.SortFunc(out, func(a, b chain.IssuerID) int { return compareIssuers(a, b) })
	return out
}

// ChainHeader returns the latest verified header we keep of a chain we do
// not hold in full (nil if none, or if we hold it: Store.Head has it).
func (n *Network) ChainHeader(iss chain.IssuerID) *chain.SignedHeader {
	if n.shard == nil {
		return nil
	}
	n.shard.mu.Lock()
	defer n.shard.mu.Unlock()
	return n.shard.mu.headers[iss]
}

// ChainsTakenOver counts the chains we started holding because holders
// of them were lost.
func (n *Network) ChainsTakenOver() uint64 {
	if n.shard == nil {
		return 0
	}
	return n.shard.taken.Load()
}

func compareIssuers(a, b chain.IssuerID) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}
