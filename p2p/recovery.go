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

// Recovery backoff between rounds of asking: from the first to the last,
// doubling; it starts again from the first when a member answers.
const (
	recoveryBackoffMin = 100 * time.Millisecond
	recoveryBackoffMax = 2 * time.Second
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
// they hold nothing further. A member that fails, stalls or sends a block
// that does not follow our head has not answered; it is asked again in the
// next round, as are members that connect later. It returns when enough
// members have answered, or with ctx's error. progress, if set, is called
// after every round.
func (n *Network) RecoverOwnChain(ctx context.Context, need int, progress func(RecoveryProgress)) (RecoveryProgress, error) {
	if n.sync == nil {
		return RecoveryProgress{}, errors.New("p2p: a light client holds no chain")
	}
	if need < 1 {
		return RecoveryProgress{}, ErrRecoveryNeed
	}
	answered := make(map[peer.ID]bool)
	var blocks atomic.Int64
	state := func() RecoveryProgress {
		pr := RecoveryProgress{Answered: len(answered), Needed: need, Blocks: int(blocks.Load())}
		if h := n.cfg.Store.Head(n.self); h != nil {
			pr.Head = h.Height
		}
		return pr
	}
	backoff := recoveryBackoffMin
	for {
		var ask []peer.ID
		for _, p := range n.ConnectedMembers() {
			if !answered[p] {
				ask = append(ask, p)
			}
		}
		ok := make([]bool, len(ask))
		var wg sync.WaitGroup
		for i, p := range ask {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := n.askOwnChain(ctx, p)
				blocks.Add(int64(got))
				if err != nil {
					if ctx.Err() == nil {
						n.log.Debug("recovery: member has not answered; asking again later", "member", p, "err", err)
					}
					return
				}
				ok[i] = true
			}()
		}
		wg.Wait()
		for i, p := range ask {
			if ok[i] {
				answered[p] = true
				backoff = recoveryBackoffMin
			}
		}
		pr := state()
		if progress != nil {
			progress(pr)
		}
		if pr.Answered >= need {
			return pr, nil
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return pr, ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, recoveryBackoffMax)
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
				n.log.Error("a member holds a block of our own chain that does not follow our head: our key signed two blocks at one height",
					"member", p, "height", from+uint64(len(vbs)), "err", verr)
			}
			return stored, verr
		}
	}
}
