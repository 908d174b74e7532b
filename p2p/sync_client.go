package p2p

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/p2p/p2ppb"
	"github.com/libp2p/go-libp2p/core/peer"
)

// syncer fetches what other members hold further than we do. It keeps, per
// chain, the height each peer is known to hold — only heights an issuer
// signed: a status head, or a gossiped block ahead of ours — and fetches
// towards the highest. One worker per chain fetches ranges in order,
// validating every block; a peer that fails loses its claim and the next
// is asked, so the target falls back to the highest claim still standing,
// and once every claimant has failed the chain is no longer synced (until
// a new claim). The claims are part of the network's state (state.wants,
// under its lock); the store is read outside it.
type syncer struct {
	n    *Network
	kick chan struct{}
}

// want is what the syncer knows of one chain.
type want struct {
	claims  []claim // most recently heard of first
	running bool
}

// claim is a height a peer holds of a chain.
type claim struct {
	p      peer.ID
	height uint64
}

// target is the highest height claimed.
func (w *want) target() uint64 {
	var t uint64
	for _, c := range w.claims {
		t = max(t, c.height)
	}
	return t
}

// drop removes p's claim.
func (w *want) drop(p peer.ID) {
	w.claims = slices.DeleteFunc(w.claims, func(c claim) bool { return c.p == p })
}

// errSyncNotFound is a sync answer of NOT_FOUND: the peer holds no block
// at the height asked.
var errSyncNotFound = errors.New("p2p: sync answered: no such block")

// maxSyncWorkers bounds chains fetched at once.
const maxSyncWorkers = 4

func newSyncer(n *Network) *syncer {
	return &syncer{n: n, kick: make(chan struct{}, 1)}
}

// want records that p holds iss's chain up to height (a height iss signed).
func (s *syncer) want(iss chain.IssuerID, height uint64, p peer.ID) {
	s.n.state.claim(iss, height, p)
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// claim records p's claim to hold iss's chain up to height.
func (st *state) claim(iss chain.IssuerID, height uint64, p peer.ID) {
	st.mu.Lock()
	defer st.mu.Unlock()
	w := st.wants[iss]
	if w == nil {
		w = &want{}
		st.wants[iss] = w
	}
	for _, c := range w.claims {
		if c.p == p {
			height = max(height, c.height)
		}
	}
	w.drop(p)
	w.claims = append([]claim{{p, height}}, w.claims...)
}

// stored notes progress made by gossip.
func (s *syncer) stored(iss chain.IssuerID, height uint64) {
	st := s.n.state
	st.mu.Lock()
	defer st.mu.Unlock()
	if w := st.wants[iss]; w != nil && !w.running && height >= w.target() {
		delete(st.wants, iss)
	}
}

// Syncing reports, per chain being caught up, the height we are fetching
// towards.
func (n *Network) Syncing() map[chain.IssuerID]uint64 {
	if n.sync == nil {
		return nil
	}
	n.state.mu.Lock()
	targets := make(map[chain.IssuerID]uint64, len(n.state.wants))
	for iss, w := range n.state.wants {
		if t := w.target(); t > 0 {
			targets[iss] = t
		}
	}
	n.state.mu.Unlock()
	for iss, t := range targets { // the store is read outside the lock
		if n.headHeight(iss) >= t {
			delete(targets, iss)
		}
	}
	return targets
}

func (s *syncer) run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-tick.C:
		}
		s.startWorkers(ctx)
	}
}

// startWorkers starts a worker for every chain still behind its target,
// up to maxSyncWorkers in all. Our heads are read between two holds of the
// lock, since the store is never read under it; a head read a moment ago
// is at most lower than the store's by then, which can only start a worker
// that finds its claims met and ends.
func (s *syncer) startWorkers(ctx context.Context) {
	st := s.n.state
	st.mu.Lock()
	var idle []chain.IssuerID
	for iss, w := range st.wants {
		if !w.running {
			idle = append(idle, iss)
		}
	}
	st.mu.Unlock()
	if len(idle) == 0 {
		return
	}
	heads := make(map[chain.IssuerID]uint64, len(idle))
	for _, iss := range idle {
		heads[iss] = s.n.headHeight(iss)
	}

	st.mu.Lock()
	defer st.mu.Unlock()
	running := 0
	for _, w := range st.wants {
		if w.running {
			running++
		}
	}
	for _, iss := range idle {
		if running >= maxSyncWorkers {
			return
		}
		w := st.wants[iss]
		if w == nil || w.running {
			continue
		}
		if len(w.claims) == 0 || heads[iss] >= w.target() || st.forkedLocked(iss) {
			delete(st.wants, iss)
			continue
		}
		w.running = true
		running++
		s.n.goTracked(func() {
			s.fetch(ctx, iss)
		})
	}
}

// fetch catches iss's chain up to its target, one range at a time.
func (s *syncer) fetch(ctx context.Context, iss chain.IssuerID) {
	st := s.n.state
	defer func() {
		st.mu.Lock()
		if w := st.wants[iss]; w != nil {
			w.running = false
		}
		st.mu.Unlock()
	}()
	for ctx.Err() == nil {
		head := s.n.cfg.Store.Head(iss)
		from := uint64(1)
		if head != nil {
			from = head.Height + 1
		}
		c, ok := st.nextClaim(iss, from)
		if !ok {
			return
		}

		count := min(uint64(MaxSyncBlocks), c.height-from+1)
		stored, err := s.fetchRange(ctx, c.p, iss, head, from, uint32(count))
		if err != nil {
			if !errors.Is(err, errOtherBranch) {
				s.n.stats.syncFailures.Add(1)
			}
			s.n.log.Debug("sync failed; trying another peer", "peer", c.p, "issuer", iss.Short(), "from", from, "err", err)
			st.dropClaim(iss, c.p)
			continue
		}
		s.n.stats.syncedBlocks.Add(uint64(stored))
		s.n.stats.blocksStored.Add(uint64(stored))
	}
}

// nextClaim returns the claim to fetch iss's chain from, from height from
// on: the most recent one above our head. Claims we have reached are met,
// not failed, and are dropped; with none left, or iss known forked, the
// chain is no longer wanted and ok is false.
func (st *state) nextClaim(iss chain.IssuerID, from uint64) (c claim, ok bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	w := st.wants[iss]
	if w != nil {
		w.claims = slices.DeleteFunc(w.claims, func(c claim) bool { return c.height < from })
	}
	if w == nil || len(w.claims) == 0 || st.forkedLocked(iss) {
		delete(st.wants, iss)
		return claim{}, false
	}
	return w.claims[0], true
}

// dropClaim removes p's claim on iss's chain: p failed to serve it.
func (st *state) dropClaim(iss chain.IssuerID, p peer.ID) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if w := st.wants[iss]; w != nil {
		w.drop(p)
	}
}

// fetchRange requests blocks from..from+count-1 of iss from p, validates
// them against head and each other, and stores the valid prefix.
func (s *syncer) fetchRange(ctx context.Context, p peer.ID, iss chain.IssuerID, head *chain.SignedHeader, from uint64, count uint32) (int, error) {
	blocks, err := s.request(ctx, p, iss, from, count)
	if err != nil {
		return 0, err
	}
	vbs, verr := s.validate(blocks, head)
	if len(vbs) == 0 && head != nil && errors.Is(verr, chain.ErrWrongPrevHash) {
		return 0, s.syncFork(ctx, p, head) // forkprobe.go
	}
	if len(vbs) > 0 {
		if err := s.n.cfg.Store.Append(vbs...); err != nil {
			if errors.Is(err, chain.ErrKnownHeight) {
				return 0, nil // gossip got there first; go round again
			}
			return 0, fmt.Errorf("storing synced blocks: %w", err)
		}
		s.n.orphans.grew(iss)
		if s.n.cfg.OnStored != nil {
			for _, vb := range vbs {
				s.n.cfg.OnStored(vb.Block, true)
			}
		}
	}
	if verr != nil {
		return len(vbs), verr
	}
	return len(vbs), nil
}

func (s *syncer) request(ctx context.Context, p peer.ID, iss chain.IssuerID, from uint64, count uint32) ([]*chain.Block, error) {
	ctx, cancel := context.WithTimeout(ctx, SyncTimeout)
	defer cancel()
	st, err := s.n.host.NewStream(ctx, p, SyncProtocol(s.n.cfg.Params.NetworkID))
	if err != nil {
		return nil, err
	}
	if d, ok := ctx.Deadline(); ok {
		st.SetDeadline(d)
	}
	if err := writeMsg(st, &p2ppb.SyncRequest{Issuer: iss[:], FromHeight: from, Count: count}); err != nil {
		st.Reset()
		return nil, err
	}
	st.CloseWrite()
	var resp p2ppb.SyncResponse
	release, err := readMsg(st, st.Scope(), &resp, MaxSyncBytes)
	if err != nil {
		st.Reset()
		return nil, err
	}
	defer release()
	st.Close()
	if resp.Status == p2ppb.SyncStatus_SYNC_STATUS_NOT_FOUND {
		return nil, errSyncNotFound
	}
	if resp.Status != p2ppb.SyncStatus_SYNC_STATUS_OK {
		return nil, fmt.Errorf("p2p: sync answered %s: %s", resp.Status, resp.Error)
	}
	if len(resp.Blocks) == 0 || len(resp.Blocks) > int(count) {
		return nil, fmt.Errorf("p2p: sync answered %d blocks for %d asked", len(resp.Blocks), count)
	}
	out := make([]*chain.Block, len(resp.Blocks))
	for i, data := range resp.Blocks {
		b, err := decodeSyncBlock(data, s.n.cfg.Params)
		if err != nil {
			return nil, fmt.Errorf("p2p: synced block %d: %w", i, err)
		}
		if b.Issuer != iss || b.Height != from+uint64(i) {
			return nil, fmt.Errorf("p2p: synced block %d is %s/%d, asked %s/%d", i, b.Issuer.Short(), b.Height, iss.Short(), from+uint64(i))
		}
		out[i] = b
	}
	return out, nil
}

// validate checks every block against the one before it (the first against
// head), spreading the work over the cores, and returns the valid prefix
// and the first failure.
func (s *syncer) validate(blocks []*chain.Block, head *chain.SignedHeader) ([]*chain.VerifiedBlock, error) {
	vbs := make([]*chain.VerifiedBlock, len(blocks))
	errs := make([]error, len(blocks))
	now := s.n.cfg.Now()
	// Each block's parent with its chain's history, which its history
	// root is checked against: one hash per block, so done in order here.
	prevs := make([]*chain.SignedHeader, len(blocks))
	prevs[0] = head
	for i := 1; i < len(blocks); i++ {
		prevs[i] = chain.WithHistory(blocks[i-1].SignedHeader, prevs[i-1])
	}
	workers := min(runtime.GOMAXPROCS(0), len(blocks))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(blocks); i += workers {
				vbs[i], errs[i] = s.n.validateSynced(blocks[i], prevs[i], now)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return vbs[:i], fmt.Errorf("p2p: synced block %d: %w", blocks[i].Height, err)
		}
	}
	return vbs, nil
}
