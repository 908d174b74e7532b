package simnet

import (
	"context"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain"
)

// IssuerHeads returns every running member's own chain height: where each
// chain stands at its issuer.
func (n *Net) IssuerHeads() map[chain.IssuerID]uint64 {
	out := make(map[chain.IssuerID]uint64)
	for _, p := range n.Running() {
		if st := p.Store(); st != nil {
			if h := st.Head(p.Issuer); h != nil {
				out[p.Issuer] = h.Height
			}
		}
	}
	return out
}

// CaughtUp counts the running peers that hold every chain at least up to
// targets, and the running peers.
func (n *Net) CaughtUp(targets map[chain.IssuerID]uint64) (done, total int) {
	for _, p := range n.Running() {
		st := p.Store()
		if st == nil {
			continue
		}
		total++
		ok := true
		for iss, height := range targets {
			if h := st.Head(iss); h == nil || h.Height < height {
				ok = false
				break
			}
		}
		if ok {
			done++
		}
	}
	return done, total
}

// WaitCaughtUp polls every step until every running peer holds every
// chain up to targets, and returns how long that took.
func (n *Net) WaitCaughtUp(ctx context.Context, targets map[chain.IssuerID]uint64, step time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		done, total := n.CaughtUp(targets)
		if done == total && total > 0 {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return time.Since(start), fmt.Errorf("simnet: %d of %d peers caught up: %w", done, total, ctx.Err())
		case <-time.After(step):
		}
	}
}

// Settled reports whether nothing is pending on any running peer and every
// running peer holds every chain at its issuer's head.
func (n *Net) Settled() bool {
	for _, p := range n.Running() {
		if p.Pending() > 0 {
			return false
		}
	}
	done, total := n.CaughtUp(n.IssuerHeads())
	return done == total
}

// WaitSettled polls every step until Settled.
func (n *Net) WaitSettled(ctx context.Context, step time.Duration) (time.Duration, error) {
	start := time.Now()
	for !n.Settled() {
		select {
		case <-ctx.Done():
			return time.Since(start), fmt.Errorf("simnet: not settled: %w", ctx.Err())
		case <-time.After(step):
		}
	}
	return time.Since(start), nil
}

// HeadsReport compares every running peer's heads: identical is true when
// all hold the same set of chains with the same head hash; diffs names
// the first few differences.
func (n *Net) HeadsReport() (identical bool, chains int, diffs []string) {
	running := n.Running()
	if len(running) == 0 {
		return false, 0, []string{"no peer runs"}
	}
	ref := running[0].Store().Heads()
	chains = len(ref)
	for _, p := range running[1:] {
		hs := p.Store().Heads()
		if len(hs) != len(ref) {
			diffs = append(diffs, fmt.Sprintf("peer %d holds %d chains, peer %d holds %d", p.Index, len(hs), running[0].Index, len(ref)))
		}
		for iss, h := range ref {
			o := hs[iss]
			switch {
			case o == nil:
				diffs = append(diffs, fmt.Sprintf("peer %d lacks chain %s", p.Index, iss.Short()))
			case o.Hash != h.Hash:
				diffs = append(diffs, fmt.Sprintf("peer %d: chain %s at %d, peer %d at %d", p.Index, iss.Short(), o.Height, running[0].Index, h.Height))
			}
		}
		if len(diffs) > 8 {
			break
		}
	}
	return len(diffs) == 0, chains, diffs
}
