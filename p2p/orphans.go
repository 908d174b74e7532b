package p2p

import (
	"sync"
	"time"

	"github.com/credmesh/credmesh/chain"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Blocks arriving before their parent. Gossip does not keep order: block
// h+2 of a chain may reach us before h+1, most often when its issuer seals
// two blocks in quick succession. Such a block (validly signed, at most
// maxOrphanGap above our head of its chain) waits in its validator until
// the parent is stored, by gossip or sync, and is then judged like any
// other (stored and accepted, so forwarded), instead of being ignored and
// fetched by sync. The peer that sent it validated it against its parent,
// so it holds the parent: after Config.OrphanAsk (default 0, at once) that
// peer is asked for the blocks between by sync, while gossip may still
// bring them, and whichever comes first wakes the block. The cost is a
// sync answer of the missing blocks per orphan, a copy gossip may bring
// too; the gain is that a parent gossip delivers late, or not at all to
// this peer (a mesh changing, a forwarder whose queue dropped it), costs
// a round trip instead of the whole wait: in the 100-peer simulation that
// was the slowest block of a run, docs/BENCHMARKS.md. Waiting is bounded:
// maxOrphans blocks per chain, maxOrphanBytes in all, Config.OrphanWait
// each (default 250 ms); a block that does not fit, or whose parent does
// not come in time, is ignored and its gap becomes a sync from the peer
// that sent it, as before.
const (
	maxOrphanGap   = 4        // heights above our head a block may wait at
	maxOrphans     = 4        // blocks waiting per chain
	maxOrphanBytes = 16 << 20 // entry bytes of all waiting blocks
)

// orphans are the blocks waiting for their parent, by chain, and what
// wakes them: a channel per chain, closed (and replaced) whenever a block
// of that chain is stored.
type orphans struct {
	mu      sync.Mutex
	waiting map[chain.IssuerID]map[uint64]bool
	bytes   int
	stored  map[chain.IssuerID]chan struct{}
}

func newOrphans() *orphans {
	return &orphans{waiting: make(map[chain.IssuerID]map[uint64]bool), stored: make(map[chain.IssuerID]chan struct{})}
}

// hold takes a place for block height of iss, size bytes, and returns the
// channel that closes when the chain next grows; false when it does not fit.
func (o *orphans) hold(iss chain.IssuerID, height uint64, size int) (<-chan struct{}, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	w := o.waiting[iss]
	if w[height] || len(w) >= maxOrphans || o.bytes+size > maxOrphanBytes {
		return nil, false
	}
	if w == nil {
		w = make(map[uint64]bool)
		o.waiting[iss] = w
	}
	w[height] = true
	o.bytes += size
	return o.channelLocked(iss), true
}

// next returns the channel that closes when iss's chain next grows.
func (o *orphans) next(iss chain.IssuerID) <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.channelLocked(iss)
}

func (o *orphans) channelLocked(iss chain.IssuerID) chan struct{} {
	ch := o.stored[iss]
	if ch == nil {
		ch = make(chan struct{})
		o.stored[iss] = ch
	}
	return ch
}

func (o *orphans) release(iss chain.IssuerID, height uint64, size int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.waiting[iss], height)
	if len(o.waiting[iss]) == 0 {
		delete(o.waiting, iss)
	}
	o.bytes -= size
}

// grew wakes the blocks of iss waiting for their parent.
func (o *orphans) grew(iss chain.IssuerID) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if ch := o.stored[iss]; ch != nil {
		close(ch)
		delete(o.stored, iss)
	}
}

// awaitParent is the validator's answer for b, which is above head+1 of
// its chain: it waits for the blocks between, then judges b again; or, if
// b is too far ahead or no room is left, or the parent does not come in
// OrphanWait, ignores it and asks sync for the gap.
func (n *Network) awaitParent(b *chain.Block, from peer.ID) (pubsub.ValidationResult, *chain.VerifiedBlock) {
	give := func() (pubsub.ValidationResult, *chain.VerifiedBlock) {
		n.sync.want(b.Issuer, b.Height, from)
		return pubsub.ValidationIgnore, nil
	}
	if b.Height > n.headHeight(b.Issuer)+1+maxOrphanGap {
		return give()
	}
	size := 0
	for _, e := range b.Entries {
		size += len(e)
	}
	ch, ok := n.orphans.hold(b.Issuer, b.Height, size)
	if !ok {
		return give()
	}
	timeout := time.NewTimer(n.cfg.OrphanWait)
	defer timeout.Stop()
	ask := time.NewTimer(n.cfg.OrphanAsk)
	defer ask.Stop()
	for n.headHeight(b.Issuer)+1 < b.Height {
		select {
		case <-ch:
			ch = n.orphans.next(b.Issuer)
		case <-ask.C:
			n.sync.want(b.Issuer, b.Height-1, from) // only up to the parent: b itself comes through here
		case <-timeout.C:
			n.orphans.release(b.Issuer, b.Height, size)
			return give()
		case <-n.ctx.Done():
			n.orphans.release(b.Issuer, b.Height, size)
			return pubsub.ValidationIgnore, nil
		}
	}
	n.orphans.release(b.Issuer, b.Height, size)
	n.stats.outOfOrder.Add(1)
	return n.judge(b, from) // the parent is in: b is next, or known
}

func (n *Network) headHeight(iss chain.IssuerID) uint64 {
	if h := n.cfg.Store.Head(iss); h != nil {
		return h.Height
	}
	return 0
}
