package governance

import (
	"crypto/sha256"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
)

// Ref names a proposal across the network: its proposer and its ID.
type Ref struct {
	Proposer chain.IssuerID
	ID       string
}

// Proposal is a proposal entry as found on its proposer's chain.
type Proposal struct {
	Ref
	// Hash is SHA-256 of the proposal's encoded entry: what approvals name.
	Hash [32]byte
	// BlockTime is the time of the block that holds it.
	BlockTime time.Time
	// ActivateAt is when it takes effect, if approved.
	ActivateAt time.Time
	// Body is the decoded proposal.
	Body *chainpb.Proposal
	// Entry is the encoded entry, as shipped (for light clients).
	Entry []byte
}

// Approval is an approval entry as found on its approver's chain.
type Approval struct {
	Approver  chain.IssuerID
	Of        Ref
	Hash      [32]byte
	BlockTime time.Time
	// Entry is the encoded entry, as shipped.
	Entry []byte
}

// Log gathers the decision entries of the chains a peer holds and the
// time of each chain's newest block. It is not safe for concurrent use
// (View is).
type Log struct {
	proposals map[Ref]*Proposal
	approvals map[Ref]map[chain.IssuerID]*Approval
	heads     map[chain.IssuerID]time.Time
}

// NewLog returns an empty log.
func NewLog() *Log {
	return &Log{proposals: map[Ref]*Proposal{}, approvals: map[Ref]map[chain.IssuerID]*Approval{}, heads: map[chain.IssuerID]time.Time{}}
}

// IsDecision reports whether e is a proposal or an approval.
func IsDecision(e *chainpb.Entry) bool {
	switch e.GetBody().(type) {
	case *chainpb.Entry_Proposal, *chainpb.Entry_Approval:
		return true
	}
	return false
}

// Add records one entry of issuer's chain, in a block of blockTime, given
// as its encoded bytes and decoded form (validated by chain). Entries that
// are not decisions are ignored; a decision already recorded under its key
// keeps its first form (keys are unique on a chain). It reports whether
// the log changed.
func (l *Log) Add(issuer chain.IssuerID, blockTime time.Time, data []byte, e *chainpb.Entry) bool {
	l.SetHead(issuer, blockTime)
	switch b := e.GetBody().(type) {
	case *chainpb.Entry_Proposal:
		r := Ref{Proposer: issuer, ID: b.Proposal.ProposalId}
		if _, ok := l.proposals[r]; ok {
			return false
		}
		l.proposals[r] = &Proposal{Ref: r, Hash: sha256.Sum256(data), BlockTime: blockTime,
			ActivateAt: time.UnixMilli(b.Proposal.ActivateAtMs), Body: b.Proposal, Entry: data}
		return true
	case *chainpb.Entry_Approval:
		r := Ref{Proposer: chain.IssuerID(b.Approval.Proposer), ID: b.Approval.ProposalId}
		as := l.approvals[r]
		if as == nil {
			as = map[chain.IssuerID]*Approval{}
			l.approvals[r] = as
		}
		if _, ok := as[issuer]; ok {
			return false
		}
		as[issuer] = &Approval{Approver: issuer, Of: r, Hash: [32]byte(b.Approval.ProposalHash), BlockTime: blockTime, Entry: data}
		return true
	}
	return false
}

// AddBlock records every decision of a validated block and its time as
// its issuer's newest. It reports whether a decision was new.
func (l *Log) AddBlock(vb *chain.VerifiedBlock) bool {
	changed := false
	l.SetHead(vb.Header.Issuer, vb.Header.Time)
	for i, e := range vb.Decoded {
		if e != nil && l.Add(vb.Header.Issuer, vb.Header.Time, vb.Entries[i], e) {
			changed = true
		}
	}
	return changed
}

// SetHead records that we hold issuer's chain up to a block of time t.
func (l *Log) SetHead(issuer chain.IssuerID, t time.Time) {
	if t.After(l.heads[issuer]) {
		l.heads[issuer] = t
	}
}

// Head returns the time of the newest block held of issuer's chain.
func (l *Log) Head(issuer chain.IssuerID) (time.Time, bool) {
	t, ok := l.heads[issuer]
	return t, ok
}

// Proposal returns the proposal r, if held.
func (l *Log) Proposal(r Ref) (*Proposal, bool) {
	p, ok := l.proposals[r]
	return p, ok
}
