package p2p

import (
	"context"
	"errors"
	"fmt"

	"github.com/credmesh/credmesh/chain"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Forks seen from one side. A validly signed block whose previous hash is
// not our head's proves nothing against whoever sent it: an honest member
// that holds the other branch of a forked chain accepted and forwarded it in
// good faith. So gossip ignores it (never rejects: the sender is not
// penalized) and sync does not count it as the server's failure; instead we
// fetch, with the sync protocol, the sender's block at our head's height
// (the one the block links to) and, if that is validly signed and differs
// from ours, the two headers are evidence, kept and gossiped like any other.

// maxForkProbes bounds the probes under way at once; one more is dropped
// (the next block or status exchange asks again).
const maxForkProbes = 4

// errOtherBranch is a sync answer whose first block does not follow our
// head: the server holds another branch of the chain, which we cannot
// follow. The server has not failed; it is simply not asked again for this
// chain.
var errOtherBranch = errors.New("p2p: the peer holds another branch of the chain")

// startProbe reserves the probe of iss's fork; it reports false if one is
// under way, too many are, or iss is known forked already.
func (st *state) startProbe(iss chain.IssuerID) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.forkedLocked(iss) || st.probing[iss] || len(st.probing) >= maxForkProbes {
		return false
	}
	st.probing[iss] = true
	return true
}

func (st *state) endProbe(iss chain.IssuerID) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.probing, iss)
}

// probeFork handles a gossiped block h, validly signed, that does not link
// to our head: in the background it asks p, who sent it, for the header h
// links to.
func (n *Network) probeFork(h *chain.SignedHeader, p peer.ID) {
	if h.Height < 2 || !n.state.startProbe(h.Issuer) {
		return
	}
	n.goTracked(func() { // inside a validator: Close waits for those before n.wg
		defer n.state.endProbe(h.Issuer)
		ctx, cancel := context.WithTimeout(n.ctx, StatusTimeout)
		defer cancel()
		if err := n.proveFork(ctx, p, h.Issuer, h.Height-1); err != nil {
			n.log.Debug("a block that does not follow our head, from a peer that did not prove the fork",
				"peer", p, "issuer", h.Issuer.Short(), "height", h.Height, "err", err)
		}
	})
}

// syncFork handles a synced range from p whose first block, validly signed,
// does not link to head: it proves the fork from p's header at head's
// height and returns errOtherBranch.
func (s *syncer) syncFork(ctx context.Context, p peer.ID, head *chain.SignedHeader) error {
	if err := s.n.proveFork(ctx, p, head.Issuer, head.Height); err != nil {
		return fmt.Errorf("%w, and it did not prove the fork: %w", errOtherBranch, err)
	}
	return errOtherBranch
}

// proveFork fetches p's block of iss at height and, if its header is
// validly signed and differs from ours there, records and gossips the
// evidence. It fails when p sends nothing or the same header as ours.
func (n *Network) proveFork(ctx context.Context, p peer.ID, iss chain.IssuerID, height uint64) error {
	blocks, err := n.sync.request(ctx, p, iss, height, 1)
	if err != nil {
		return err
	}
	if !n.checkEquivocation(blocks[0].SignedHeader) {
		return fmt.Errorf("p2p: block %d of %s from %s is not a validly signed other header", height, iss.Short(), p)
	}
	return nil
}
