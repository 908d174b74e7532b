package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/p2p"
)

// The states of our own chain, as status shows them.
const (
	OwnRecovering = "recovering" // asking members for our chain; nothing is signed
	OwnSealing    = "sealing"    // recovered (or trusted); the builder signs
	OwnHalted     = "halted"     // evidence against our key: nothing is signed again
)

// Messages of the own-chain states, as submit's 503 and status give them.
const (
	msgRecovering = "recovering own chain from the network"
	msgHalted     = "sealing halted: evidence against our own key"
)

// ownChain is the state of our own chain's recovery, written by guard and
// read by Submit, Status and the metrics.
type ownChain struct {
	need  int  // members that must answer
	trust bool // start without recovering (--trust-local-chain)
	ready chan struct{}

	mu struct {
		sync.Mutex
		state    string
		progress p2p.RecoveryProgress
		runs     int // recoveries started
		ready    bool
	}
}

// recoveryNeed is how many members must answer a recovery: the configured
// number, or half of the other members rounded up.
func recoveryNeed(configured, others int, trust bool) (int, error) {
	if others == 0 {
		if !trust {
			return 0, errors.New("node: the genesis has no other member to recover this peer's own chain from; " +
				"start it with --trust-local-chain (if its store was rolled back or lost, it then signs its chain again from the height it holds, a fork for good)")
		}
		return 0, nil
	}
	if configured > others {
		return 0, fmt.Errorf("config.toml: recovery.min_answers: %d, but the genesis has %d other members", configured, others)
	}
	if configured > 0 {
		return configured, nil
	}
	return (others + 1) / 2, nil
}

func newOwnChain(need int, trust bool) *ownChain {
	o := &ownChain{need: need, trust: trust, ready: make(chan struct{})}
	o.mu.state = OwnRecovering
	o.mu.progress.Needed = need
	if trust {
		// Records are taken at once; the builder seals them as soon as
		// guard resumes it.
		o.set(OwnSealing)
	}
	return o
}

func (o *ownChain) set(state string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.mu.state = state
	if state == OwnRecovering {
		o.mu.runs++
		o.mu.progress = p2p.RecoveryProgress{Needed: o.need}
	}
	if state == OwnSealing && !o.mu.ready {
		o.mu.ready = true
		close(o.ready)
	}
}

func (o *ownChain) report(p p2p.RecoveryProgress) {
	o.mu.Lock()
	o.mu.progress = p
	o.mu.Unlock()
}

func (o *ownChain) state() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.mu.state
}

// refusal is the error Submit answers in a state that takes no records.
func (o *ownChain) refusal() error {
	switch o.state() {
	case OwnRecovering:
		return fmt.Errorf("%w: %s", api.ErrBusy, msgRecovering)
	case OwnHalted:
		return fmt.Errorf("%w: %s", api.ErrBusy, msgHalted)
	}
	return nil
}

func (o *ownChain) status() *api.RecoveryStatus {
	o.mu.Lock()
	defer o.mu.Unlock()
	st := &api.RecoveryStatus{
		State: o.mu.state, Answered: o.mu.progress.Answered, Needed: o.mu.progress.Needed,
		Blocks: o.mu.progress.Blocks, Runs: o.mu.runs, TrustLocalChain: o.trust,
	}
	switch o.mu.state {
	case OwnRecovering:
		st.Message = msgRecovering
	case OwnHalted:
		st.Message = msgHalted
	}
	return st
}

// Ready is closed once the peer first signs: its own chain is recovered
// (or trusted) and Submit takes records.
func (n *Node) Ready() <-chan struct{} { return n.own.ready }

// OwnChainState is OwnRecovering, OwnSealing or OwnHalted.
func (n *Node) OwnChainState() string { return n.own.state() }

// guard keeps the builder held while our own chain may lack blocks our key
// signed: it recovers at start (unless trusted), resumes the builder, holds
// it and recovers again when a block of ours shows up above our head, and
// holds it for good once there is evidence against our key. It returns when
// ctx ends.
func (n *Node) guard(ctx context.Context) {
	forked := n.net.EvidenceAgainstUs()
	recoverNow := !n.own.trust
	for {
		if recoverNow {
			n.own.set(OwnRecovering)
			n.log.Info("recovering own chain from the network before signing", "members_needed", n.own.need)
			pr, err := n.recoverUnlessForked(ctx, forked)
			if err != nil {
				switch {
				case isClosed(forked):
					n.halt(ctx)
				case ctx.Err() == nil:
					n.log.Error("own-chain recovery stopped; the peer signs nothing until it restarts", "err", err)
				}
				return
			}
			n.log.Info("own chain recovered", "height", pr.Head, "blocks_recovered", pr.Blocks, "members_answered", pr.Answered)
		}
		if isClosed(forked) {
			n.halt(ctx)
			return
		}
		if err := n.resume(ctx); err != nil {
			return
		}
		n.own.set(OwnSealing)
		recoverNow = n.watch(ctx, forked)
		if !recoverNow {
			return
		}
	}
}

// recoverUnlessForked recovers our chain; evidence against our key ends it.
func (n *Node) recoverUnlessForked(ctx context.Context, forked <-chan struct{}) (p2p.RecoveryProgress, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-forked:
			cancel()
		case <-rctx.Done():
		}
	}()
	return n.net.RecoverOwnChain(rctx, n.own.need, n.own.report)
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// resume starts the builder sealing, retrying while the store cannot be
// read; it fails only when ctx ends or the builder stopped.
func (n *Node) resume(ctx context.Context) error {
	for {
		err := n.builder.Resume(ctx)
		if err == nil || ctx.Err() != nil || errors.Is(err, builder.ErrClosed) {
			return err
		}
		n.log.Error("resuming the builder after recovery; retrying", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// watch waits while the builder seals. It returns true when a block of
// ours was seen above our head (the builder is then held and recovery must
// run again), false when ctx ended or sealing halted for good.
func (n *Node) watch(ctx context.Context, forked <-chan struct{}) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case <-forked:
			n.halt(ctx)
			return false
		case <-n.net.OwnChainAhead():
			seen := n.net.OwnAheadHeight()
			var ours uint64
			if h := n.store.Head(n.self); h != nil {
				ours = h.Height
			}
			if seen <= ours {
				continue
			}
			n.log.Warn("a block of our own chain above our head: sealing stops until it is recovered", "ours", ours, "seen", seen)
			if err := n.builder.Hold(ctx); err != nil {
				return false
			}
			return true
		}
	}
}

// halt stops sealing for good: our key signed two blocks at one height.
func (n *Node) halt(ctx context.Context) {
	n.own.set(OwnHalted)
	ev := n.net.Forked()[n.self]
	args := []any{"peer", n.net.ID()}
	if ev != nil {
		args = append(args, "height", ev.A.Height)
	}
	n.log.Error(msgHalted+"; nothing more is signed (see docs/OPERATIONS.md)", args...)
	if err := n.builder.Hold(ctx); err != nil && ctx.Err() == nil && !errors.Is(err, builder.ErrClosed) {
		n.log.Error("holding the builder", "err", err)
	}
}
