package p2p

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/credmesh/credmesh/chain"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// ownAlarms are the signs that something other than our builder signed
// with our key: a validly signed header of our chain above our head (a
// block in gossip, or a member's status head), and equivocation evidence
// against our key.
type ownAlarms struct {
	ahead atomic.Uint64 // highest height of ours seen signed above our head
	kick  chan struct{} // one pending signal that ahead rose

	forkOnce sync.Once
	forked   chan struct{} // closed once evidence against us is known
}

func newOwnAlarms() *ownAlarms {
	return &ownAlarms{kick: make(chan struct{}, 1), forked: make(chan struct{})}
}

// OwnChainAhead signals when a block of our own chain, validly signed with
// our key, is seen above the head our store holds; OwnAheadHeight says how
// high. Only a store that lost blocks or another process with our key can
// cause it: the node stops sealing and recovers again.
func (n *Network) OwnChainAhead() <-chan struct{} { return n.own.kick }

// OwnAheadHeight returns the highest height of our own chain seen signed
// above our head (0: none).
func (n *Network) OwnAheadHeight() uint64 { return n.own.ahead.Load() }

// EvidenceAgainstUs is closed once equivocation evidence against our own
// key is known (received, found, or loaded from the store at start).
func (n *Network) EvidenceAgainstUs() <-chan struct{} { return n.own.forked }

func (n *Network) noteOwnAhead(height uint64, from peer.ID) {
	for {
		cur := n.own.ahead.Load()
		if height <= cur {
			return
		}
		if n.own.ahead.CompareAndSwap(cur, height) {
			break
		}
	}
	n.log.Warn("a block of our own chain above our head: something else signed with our key", "height", height, "from", from)
	select {
	case n.own.kick <- struct{}{}:
	default:
	}
}

func (n *Network) noteEvidence(ev *chain.Evidence) {
	if ev.A.Issuer == n.self {
		n.own.forkOnce.Do(func() { close(n.own.forked) })
	}
}

// judgeOwn handles a block of our own chain from gossip. Only our builder
// writes our chain, so it is never stored; a validly signed one above our
// head raises the alarm, one at a height we hold is checked for
// equivocation.
func (n *Network) judgeOwn(b *chain.Block, from peer.ID) pubsub.ValidationResult {
	_, err := n.validateBlock(b, n.cfg.Store.Head(n.self), n.cfg.Now())
	switch {
	case err == nil, errors.Is(err, chain.ErrHeightAhead), errors.Is(err, chain.ErrUnknownParent), errors.Is(err, chain.ErrWrongPrevHash):
		n.noteOwnAhead(b.Height, from)
	case errors.Is(err, chain.ErrKnownHeight):
		n.checkEquivocation(b.SignedHeader)
	case chain.IsProvable(err):
		return pubsub.ValidationReject
	}
	return pubsub.ValidationIgnore
}
