package queryproto

import (
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/governance"
	"github.com/credmesh/credmesh/chain/merkle"
	"github.com/credmesh/credmesh/queryproto/querypb"
)

// Membership decisions travel with payment answers (docs/PROTOCOL.md
// 18.4). A server sends the proofs Config.Decisions returns: the proposal
// and counted approvals of every decision that passed. A light client
// checks each proof's inclusion and signature, feeds the entries to a
// governance.Log and computes the membership from its genesis with
// governance.Compute, which counts only the entries of keys that were
// members when they wrote them. A server that withholds a decision can
// make a member's record fail to verify (the client asks others) or, for
// a removal, keep a removed key looking like a member after its removal:
// gathering answers from several peers, and merging their decisions,
// bounds that to peers that all withhold it.

// maxDecisionProofs bounds the decision proofs of one answer.
const maxDecisionProofs = 1024

// decisionsToPB returns the wire form of the decision proofs.
func decisionsToPB(ps []*chain.Proof) []*querypb.Proof {
	if len(ps) > maxDecisionProofs {
		ps = ps[:maxDecisionProofs]
	}
	out := make([]*querypb.Proof, len(ps))
	for i, p := range ps {
		out[i] = proofToPB(p)
	}
	return out
}

// decodeDecisions decodes decision proofs, checking their shape only.
func decodeDecisions(ps []*querypb.Proof) ([]*chain.Proof, error) {
	if len(ps) > maxDecisionProofs {
		return nil, fmt.Errorf("%w: %d decision proofs, at most %d", ErrMalformed, len(ps), maxDecisionProofs)
	}
	out := make([]*chain.Proof, 0, len(ps))
	for i, p := range ps {
		cp, err := proofFromPB(p)
		if err != nil {
			return nil, fmt.Errorf("decision %d: %w", i, err)
		}
		out = append(out, cp)
	}
	return out, nil
}

// membershipOf computes the membership history from the genesis and the
// decision proofs served: each must be of this network, signed by its
// issuer, included in its block and a decision entry; which of them count
// is governance's rule. Without a governance genesis, or without
// decisions, it is nil: the genesis members hold for ever.
func (lc *LightClient) membershipOf(decisions []*chain.Proof) (*governance.History, error) {
	g := lc.genesis.Governance
	if g == nil || len(decisions) == 0 {
		return nil, nil
	}
	l := governance.NewLog()
	for i, p := range decisions {
		h := p.Header
		if h.NetworkID != lc.genesis.NetworkID {
			return nil, fmt.Errorf("decision %d: %w: header of %q", i, chain.ErrWrongNetwork, h.NetworkID)
		}
		if err := lc.verified.verify(h); err != nil {
			return nil, fmt.Errorf("decision %d: %w", i, err)
		}
		if err := merkle.VerifyInclusion(merkle.LeafHash(p.Entry), uint64(p.Index), uint64(h.EntryCount), p.Path, h.EntriesRoot); err != nil {
			return nil, fmt.Errorf("decision %d: %w: %w", i, chain.ErrBadRoot, err)
		}
		e, err := chain.DecodeEntry(p.Entry, maxEntryBytes)
		if err != nil || !governance.IsDecision(e) {
			return nil, fmt.Errorf("decision %d: not a proposal or approval", i)
		}
		l.Add(h.Issuer, h.Time, p.Entry, e)
	}
	return governance.Compute(*g, l), nil
}

// membersAt returns the members at t by h, or the genesis members.
func (lc *LightClient) membersAt(h *governance.History, t time.Time) chain.Members {
	if h == nil {
		return lc.genesis.Members
	}
	return h.At(t).ChainMembers()
}
