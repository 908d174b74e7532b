package p2p

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/witness"
)

// maxLagWalk bounds how far back a candidate head is looked for from a
// chain's head: more blocks than that sealed within one lag means the
// chain's head a maxLagWalk blocks down is taken.
const maxLagWalk = 4096

// loadWitness reads what we last cosigned, and every witness's newest
// statement and evidence, from the store.
func (n *Network) loadWitness() error {
	ws := newWitnessing(n.cfg.Members)
	st := n.cfg.Store
	own, err := st.OwnCosigned()
	if err != nil {
		return err
	}
	if own != nil {
		s, err := witness.UnmarshalStored(own, ws.order)
		if err != nil {
			return fmt.Errorf("p2p: the heads this peer last cosigned: %w", err)
		}
		ws.last = s.Heads
		ws.holdLocked(s, n.cfg.Now())
	}
	evs, err := st.WitnessEvidence()
	if err != nil {
		return err
	}
	for w, data := range evs {
		_, ev, err := witness.DecodeMessage(data, ws.order, nil)
		if err != nil || ev == nil {
			return fmt.Errorf("p2p: witness evidence against %s does not decode", w.Short())
		}
		ws.forked[w] = ev
	}
	sts, err := st.WitnessStatements()
	if err != nil {
		return err
	}
	for w, data := range sts {
		s, err := witness.UnmarshalStored(data, ws.order)
		if err != nil || s.Witness != w || s.Verify(n.cfg.Params.NetworkID, n.cfg.Members) != nil {
			n.log.Warn("dropping a kept witness statement that does not verify", "witness", w.Short(), "err", err)
			continue
		}
		if w != n.self {
			ws.holdLocked(s, n.cfg.Now())
		}
	}
	n.witness = ws
	return nil
}

// witnessLoop cosigns once per witness period, at its tick.
func (n *Network) witnessLoop(ctx context.Context) {
	period := n.cfg.Params.WitnessInterval()
	for {
		now := n.cfg.Now()
		tick := witness.Tick(now, period).Add(period)
		t := time.NewTimer(tick.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := n.CosignNow(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("cosigning heads", "err", err)
		}
		n.countMissing(tick, period)
	}
}

// witnessFullEvery is how often a witness gossips a statement with every
// head: the others carry only the heads that changed since its previous
// statement (docs/PROTOCOL.md 17.3), which a peer that missed that one
// cannot complete, so it ignores them until the next full statement, at
// most this many periods later.
const witnessFullEvery = 8

// ErrNothingToCosign: no chain has a block old enough, or no head moved
// since the last statement.
var ErrNothingToCosign = errors.New("p2p: no new head to cosign")

// CosignNow makes, persists and gossips this period's statement: for each
// chain the newest block sealed at least witness.Lag before the current
// tick, never below and never beside what we cosigned before
// (witness.Advance). It returns ErrNothingToCosign when nothing moved.
func (n *Network) CosignNow(ctx context.Context) error {
	if n.witness == nil {
		return errors.New("p2p: a light client does not witness")
	}
	period := n.cfg.Params.WitnessInterval()
	cutoff := witness.Tick(n.cfg.Now(), period).Add(-witness.Lag(period))
	cand := n.candidates(cutoff)
	ws := n.witness
	ws.mu.Lock()
	last := ws.last
	ws.mu.Unlock()
	next, changed, refused := witness.Advance(last, cand, n.extends)
	for _, r := range refused {
		n.log.Error("refusing to cosign a head that does not extend the one cosigned before",
			"issuer", r.Last.Issuer.Short(), "cosigned_height", r.Last.Height, "candidate_height", r.Candidate.Height)
	}
	ws.mu.Lock()
	ws.refused += uint64(len(refused))
	ws.mu.Unlock()
	if !changed {
		return ErrNothingToCosign
	}
	s, err := witness.Sign(n.cfg.Params.NetworkID, next, n.cfg.Key)
	if err != nil {
		return err
	}
	stored, err := s.MarshalStored(ws.order)
	if err != nil {
		return err
	}
	ws.mu.Lock()
	var base *witness.Statement
	if prev := ws.statements[n.self]; prev != nil && ws.sinceFull < witnessFullEvery-1 {
		base = prev.s
	}
	ws.mu.Unlock()
	gossip, err := s.MarshalGossipDelta(ws.order, base)
	if err != nil {
		return err
	}
	// Durable before anyone sees it: a restart reads it back and never
	// cosigns below it.
	if err := n.cfg.Store.SaveOwnCosigned(stored); err != nil {
		return fmt.Errorf("p2p: keeping cosigned heads: %w", err)
	}
	ws.mu.Lock()
	ws.last = s.Heads
	ws.made++
	if base == nil {
		ws.sinceFull = 0
	} else {
		ws.sinceFull++
	}
	ws.lastMade = n.cfg.Now()
	ws.holdLocked(s, n.cfg.Now())
	ws.mu.Unlock()
	n.stats.witnessBytesSent.Add(uint64(len(gossip)))
	if n.cfg.OnCosigned != nil {
		n.cfg.OnCosigned(s)
	}
	return n.witnessTopic.Publish(ctx, gossip)
}

// candidates returns, for each chain we hold, the newest block sealed at
// or before cutoff.
func (n *Network) candidates(cutoff time.Time) []witness.Head {
	st := n.cfg.Store
	var out []witness.Head
	for iss, h := range st.Heads() {
		if n.state.forked(iss) {
			continue // its cosigned head stays where it was
		}
		for i := 0; h != nil && h.Time.After(cutoff) && i < maxLagWalk; i++ {
			if h.Height == 1 {
				h = nil
				break
			}
			prev, err := st.Header(iss, h.Height-1)
			if err != nil {
				h = nil
				break
			}
			h = prev
		}
		if h != nil && !h.Time.After(cutoff) {
			out = append(out, witness.Head{Issuer: iss, Height: h.Height, Hash: h.Hash})
		}
	}
	witness.SortHeads(out)
	return out
}

// extends reports whether our chain of cand's issuer, which holds cand,
// holds last at its height: a candidate on another branch than the one we
// cosigned (a store rebuilt from a forked replica) is refused.
func (n *Network) extends(last, cand witness.Head) bool {
	h, err := n.cfg.Store.Header(last.Issuer, last.Height)
	return err == nil && h.Hash == last.Hash
}

// countMissing counts, at the end of our period, every witness whose
// newest statement is more than two periods old.
func (n *Network) countMissing(tick time.Time, period time.Duration) {
	ws := n.witness
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, w := range ws.order {
		if w == n.self {
			continue
		}
		held := ws.statements[w]
		if held == nil || held.s.Time().Before(tick.Add(-2*period)) {
			ws.countsLocked(w).missing++
		}
	}
}

// heldHash returns the hash of the block chain iss holds at height.
func (n *Network) heldHash(iss chain.IssuerID, height uint64) (chain.Hash, bool) {
	h, err := n.cfg.Store.Header(iss, height)
	if err != nil {
		return chain.Hash{}, false
	}
	return h.Hash, true
}
