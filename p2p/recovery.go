package p2p

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Own-chain recovery: before a peer signs, it asks the other members for
// its own chain with the sync protocol and stores what they hold above its
// head (see the package doc).

// ErrRecoveryNeed is a recovery asked of nobody.
var ErrRecoveryNeed = errors.New("p2p: recovery needs at least one member to answer")

// ErrClosed is returned by RecoverOwnChain when Close ends it.
var ErrClosed = errors.New("p2p: the network was closed")

// Recovery timing: members that connect are noticed within
// recoveryRescan; a member that failed is asked again after a backoff that
// doubles from recoveryBackoffMin to recoveryBackoffMax.
const (
	recoveryRescan     = 200 * time.Millisecond
	recoveryBackoffMin = 100 * time.Millisecond
	recoveryBackoffMax = 5 * time.Second
)

// RecoveryProgress is how far a recovery has come.
type RecoveryProgress struct {
	// Answered is how many members have answered that they hold nothing
	// of our chain above our head; Needed is how many must.
	Answered, Needed int
	// Blocks is how many blocks of our chain were recovered.
	Blocks int
	// Head is our chain's height in the store (0: none).
	Head uint64
}

// RecoverOwnChain asks the connected members for our own chain above the
// head our store holds, validates every block they send against our key and
// our head, and stores it, until need distinct members have answered that
// they hold nothing further and the head is at least the highest block of
// ours seen signed above it (OwnAheadHeight). Members are asked at once, each on its own; a
// member that fails, stalls or sends a block that does not follow our head
// has not answered and is asked again after a backoff, and members that
// connect later are asked too. It returns when enough members have
// answered, with ctx's error, or with ErrClosed once Close is called;
// either way nothing it started still runs.
// progress, if set, is called after every answer or failure.
func (n *Network) RecoverOwnChain(ctx context.Context, need int, progress func(RecoveryProgress)) (RecoveryProgress, error) {
	if n.sync == nil {
		return RecoveryProgress{}, errors.New("p2p: a light client holds no chain")
	}
	if need < 1 {
		return RecoveryProgress{}, ErrRecoveryNeed
	}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	defer context.AfterFunc(n.ctx, cancel)() // Close ends recovery too

	type result struct {
		p   peer.ID
		err error
	}
	var (
		results  = make(chan result)
		answered = make(map[peer.ID]bool)
		asking   = make(map[peer.ID]bool)
		fails    = make(map[peer.ID]int)
		retryAt  = make(map[peer.ID]time.Time)
		blocks   atomic.Int64
	)
	state := func() RecoveryProgress {
		pr := RecoveryProgress{Answered: len(answered), Needed: need, Blocks: int(blocks.Load())}
		if h := n.cfg.Store.Head(n.self); h != nil {
			pr.Head = h.Height
		}
		return pr
	}
	rescan := time.NewTicker(recoveryRescan)
	defer rescan.Stop()
	for {
		now := time.Now()
		for _, p := range n.ConnectedMembers() {
			if answered[p] || asking[p] || now.Before(retryAt[p]) {
				continue
			}
			asking[p] = true
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := n.askOwnChain(rctx, p)
				blocks.Add(int64(got))
				select {
				case results <- result{p, err}:
				case <-rctx.Done():
				}
			}()
		}
		select {
		case <-rctx.Done():
			if err := ctx.Err(); err != nil {
				return state(), err
			}
			return state(), ErrClosed
		case <-rescan.C:
			continue
		case r := <-results:
			delete(asking, r.p)
			if r.err != nil {
				fails[r.p]++
				retryAt[r.p] = time.Now().Add(min(recoveryBackoffMin<<min(fails[r.p]-1, 16), recoveryBackoffMax))
				n.log.Debug("recovery: member has not answered; asking again later", "member", r.p, "err", r.err)
			} else {
				answered[r.p] = true
			}
		}
		pr := state()
		if pr.Answered >= need && pr.Head < n.own.ahead.Load() {
			// A block of ours above the head is known to exist (seen
			// signed in gossip or fetched on a member's claim), so the
			// members that answered "nothing further" did not hold it:
			// signing now would put a second block at its height. Ask
			// everyone again until a member delivers it.
			clear(answered)
			pr = state()
		}
		if pr.Answered >= need {
			// Asks still under way may have stored blocks: count them.
			cancel()
			wg.Wait()
			pr = state()
		}
		if progress != nil {
			progress(pr)
		}
		if pr.Answered >= need {
			return pr, nil
		}
	}
}

// askOwnChain fetches our chain from p above our head until p answers that
// it holds nothing further (nil error), and returns how many blocks it
// stored. Several members are asked at once: a range another member stored
// first is compared with ours (a different header is evidence) and asked
// for again above the new head.
func (n *Network) askOwnChain(ctx context.Context, p peer.ID) (int, error) {
	st := n.cfg.Store
	stored := 0
	for {
		head := st.Head(n.self)
		from := uint64(1)
		if head != nil {
			from = head.Height + 1
		}
		blocks, err := n.sync.request(ctx, p, n.self, from, MaxSyncBlocks)
		if errors.Is(err, errSyncNotFound) {
			return stored, nil
		}
		if err != nil {
			return stored, err
		}
		vbs, verr := n.sync.validate(blocks, head)
		if len(vbs) > 0 {
			if err := st.Append(vbs...); err != nil {
				if errors.Is(err, chain.ErrKnownHeight) {
					for _, b := range blocks {
						n.checkEquivocation(b.SignedHeader)
					}
					continue
				}
				return stored, fmt.Errorf("storing our recovered blocks: %w", err)
			}
			stored += len(vbs)
			n.stats.recoveredBlocks.Add(uint64(len(vbs)))
		}
		if verr != nil {
			if errors.Is(verr, chain.ErrWrongPrevHash) {
				n.proveOwnFork(ctx, p)
			}
			return stored, verr
		}
	}
}

// proveOwnFork is called when p sent a block of ours, validly signed, whose
// previous hash is not our head's: our key signed two blocks at our head's
// height. It fetches p's block at that height and turns the two headers
// into equivocation evidence, which halts our sealing (and tells every
// member), instead of signing yet another block on top.
func (n *Network) proveOwnFork(ctx context.Context, p peer.ID) {
	head := n.cfg.Store.Head(n.self)
	if head == nil {
		return
	}
	if err := n.proveFork(ctx, p, n.self, head.Height); err != nil {
		n.log.Warn("a member holds a block of ours that does not follow our head, and did not send its parent", "member", p, "height", head.Height, "err", err)
	}
}
