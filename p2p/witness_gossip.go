package p2p

import (
	"context"
	"errors"
	"time"

	"github.com/credmesh/credmesh/chain/witness"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// joinWitness registers the witness topic's validator, joins it and reads
// it.
func (n *Network) joinWitness() error {
	wt := WitnessTopic(n.cfg.Params.NetworkID)
	if err := n.ps.RegisterTopicValidator(wt, n.gatedValidator(n.validateWitnessMsg)); err != nil {
		return err
	}
	var err error
	if n.witnessTopic, err = n.ps.Join(wt); err != nil {
		return err
	}
	sub, err := n.witnessTopic.Subscribe()
	if err != nil {
		return err
	}
	n.goLoop(func(ctx context.Context) { drain(ctx, sub) })
	n.goLoop(n.witnessLoop)
	return nil
}

// validateWitnessMsg is the witness topic's validator. Reject (and so
// penalize the sender) what is provably bad: undecodable, a witness that
// is not a member, a bad signature, evidence that does not verify. Ignore
// what cannot be judged (a head we do not hold yet, a head that differs
// from ours, which a split view shown to the witness or to us explains),
// and what is not new: an older or equal statement, or one that comes less
// than half a period after the witness's last (the rate each member may
// use), or one signed further ahead of our clock than the clock skew.
func (n *Network) validateWitnessMsg(_ context.Context, from peer.ID, msg *pubsub.Message) (res pubsub.ValidationResult) {
	defer func() {
		if r := recover(); r != nil {
			n.log.Error("witness validator panicked", "from", from, "panic", r)
			res = pubsub.ValidationReject
		}
		if res == pubsub.ValidationReject {
			n.stats.witnessRejected.Add(1)
		}
	}()
	if from == n.host.ID() {
		return pubsub.ValidationAccept // ours, persisted before publishing
	}
	if !n.IsMember(msg.ReceivedFrom) {
		return pubsub.ValidationReject
	}
	n.stats.witnessBytesReceived.Add(uint64(len(msg.Data)))
	ws := n.witness
	s, ev, err := witness.DecodeMessageWith(msg.Data, ws.order, n.heldHash, ws.base)
	if ev != nil {
		return n.judgeWitnessEvidence(ev)
	}
	switch {
	case s == nil:
		return pubsub.ValidationReject
	case !n.cfg.Members.Contains(s.Witness):
		n.log.Warn("cosignature of a non-member dropped", "from", from, "witness", s.Witness.Short())
		return pubsub.ValidationReject
	case errors.Is(err, witness.ErrOtherView):
		n.log.Warn("a witness cosigned a block this peer holds another of: a split view", "witness", s.Witness.Short(), "err", err)
		ws.count(s.Witness, func(c *witnessCounts) { c.otherView++ })
		return pubsub.ValidationIgnore
	case err != nil:
		ws.count(s.Witness, func(c *witnessCounts) { c.ignored++ })
		return pubsub.ValidationIgnore
	}
	if err := s.Verify(n.cfg.Params.NetworkID, n.cfg.Members); err != nil {
		n.log.Warn("cosignature that does not verify dropped", "from", from, "witness", s.Witness.Short(), "err", err)
		ws.count(s.Witness, func(c *witnessCounts) { c.rejected++ })
		return pubsub.ValidationReject
	}
	return n.acceptStatement(s)
}

// acceptStatement keeps a verified statement if it is new and in time, and
// turns a conflict with the witness's previous one into evidence.
func (n *Network) acceptStatement(s *witness.Statement) pubsub.ValidationResult {
	ws := n.witness
	period := n.cfg.Params.WitnessInterval()
	now := n.cfg.Now()
	if s.Time().After(now.Add(n.cfg.Params.MaxClockSkew + time.Second)) {
		ws.count(s.Witness, func(c *witnessCounts) { c.ignored++ })
		return pubsub.ValidationIgnore
	}
	ws.mu.Lock()
	prev := ws.statements[s.Witness]
	var found *witness.Evidence
	if prev != nil {
		for _, h := range s.Heads {
			if ph, _, ok := prev.s.HeadOf(h.Issuer); ok {
				a := witness.Cosignature{Witness: s.Witness, Head: ph, Signature: prev.s.Signature}
				b := witness.Cosignature{Witness: s.Witness, Head: h, Signature: s.Signature}
				if witness.NewEvidence(a, b) != nil {
					found = n.evidenceLocked(prev, s, h.Issuer)
					break
				}
			}
		}
	}
	tooSoon := prev != nil && found == nil && s.Time().Before(prev.s.Time().Add(period/2-time.Second))
	if found == nil && (tooSoon || prev != nil && !s.Time().After(prev.s.Time())) {
		ws.countsLocked(s.Witness).ignored++
		ws.mu.Unlock()
		return pubsub.ValidationIgnore
	}
	if found == nil {
		ws.holdLocked(s, now)
		ws.countsLocked(s.Witness).received++
	}
	ws.mu.Unlock()
	if found != nil {
		n.recordWitnessEvidence(found)
		n.publishWitnessEvidence(found)
		return pubsub.ValidationIgnore
	}
	if n.cfg.OnWitnessed != nil {
		n.cfg.OnWitnessed(s)
	}
	stored, err := s.MarshalStored(ws.order)
	if err == nil {
		err = n.cfg.Store.SaveWitnessStatement(s.Witness, stored)
	}
	if err != nil {
		n.log.Warn("keeping a witness statement", "witness", s.Witness.Short(), "err", err)
	}
	return pubsub.ValidationAccept
}

// evidenceLocked builds the evidence of the conflict of prev and s on
// chain iss, with paths.
func (n *Network) evidenceLocked(prev *heldStatement, s *witness.Statement, iss [32]byte) *witness.Evidence {
	a, _ := witness.CosignatureOf(prev.s, prev.tree, iss)
	b, _ := witness.CosignatureOf(s, merkleTree(s), iss)
	return witness.NewEvidence(a, b)
}

// judgeWitnessEvidence checks gossiped witness evidence and keeps it.
func (n *Network) judgeWitnessEvidence(ev *witness.Evidence) pubsub.ValidationResult {
	if err := ev.Verify(n.cfg.Params.NetworkID, n.cfg.Members); err != nil {
		return pubsub.ValidationReject
	}
	if !n.recordWitnessEvidence(ev) {
		return pubsub.ValidationIgnore // one per witness is all anyone needs
	}
	return pubsub.ValidationAccept
}

// recordWitnessEvidence marks the witness as equivocating (its
// cosignatures are served no more) and keeps the evidence; it reports
// whether it was new.
func (n *Network) recordWitnessEvidence(ev *witness.Evidence) bool {
	ws := n.witness
	w := ev.Witness()
	ws.mu.Lock()
	if ws.forked[w] != nil {
		ws.mu.Unlock()
		return false
	}
	ws.forked[w] = ev
	ws.mu.Unlock()
	n.stats.witnessEvidence.Add(1)
	n.log.Error("witness equivocated: two cosignatures that conflict", "witness", w.Short(), "issuer", ev.A.Head.Issuer.Short(),
		"heights", []uint64{ev.A.Head.Height, ev.B.Head.Height})
	if err := n.cfg.Store.SaveWitnessEvidence(w, ev.Marshal()); err != nil {
		n.log.Error("saving witness evidence", "err", err)
	}
	return true
}

func (n *Network) publishWitnessEvidence(ev *witness.Evidence) {
	if err := n.witnessTopic.Publish(n.ctx, ev.Marshal()); err != nil {
		n.log.Warn("publishing witness evidence", "err", err)
	}
}
