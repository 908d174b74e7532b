package governance

import (
	"crypto/sha256"
	"slices"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
)

// AdmitEntry returns the proposal id to admit m at activation time at.
func AdmitEntry(id string, at time.Time, m Member, reason string) *chainpb.Entry {
	return proposal(id, at, reason, &chainpb.Proposal_Admit{Admit: &chainpb.AdmitMember{
		Issuer: m.Issuer[:], Name: m.Name, Roles: uint32(m.Roles), Addrs: slices.Clone(m.Addrs)}})
}

// RemoveEntry returns the proposal id to remove issuer at at.
func RemoveEntry(id string, at time.Time, issuer chain.IssuerID, reason string) *chainpb.Entry {
	return proposal(id, at, reason, &chainpb.Proposal_Remove{Remove: &chainpb.RemoveMember{Issuer: issuer[:]}})
}

// RotateEntry returns the proposal id to replace key old by key new at at;
// addrs, if any, replace the member's addresses.
func RotateEntry(id string, at time.Time, old, new chain.IssuerID, addrs []string, reason string) *chainpb.Entry {
	return proposal(id, at, reason, &chainpb.Proposal_Rotate{Rotate: &chainpb.RotateKey{Issuer: old[:], NewIssuer: new[:], Addrs: slices.Clone(addrs)}})
}

// ParamEntry returns the proposal id to set parameter name to value at at.
func ParamEntry(id string, at time.Time, name, value, reason string) *chainpb.Entry {
	return proposal(id, at, reason, &chainpb.Proposal_Param{Param: &chainpb.ChangeParam{Name: name, Value: value}})
}

func proposal(id string, at time.Time, reason string, c any) *chainpb.Entry {
	p := &chainpb.Proposal{ProposalId: id, ActivateAtMs: at.UnixMilli(), Reason: reason}
	switch c := c.(type) {
	case *chainpb.Proposal_Admit:
		p.Change = c
	case *chainpb.Proposal_Remove:
		p.Change = c
	case *chainpb.Proposal_Rotate:
		p.Change = c
	case *chainpb.Proposal_Param:
		p.Change = c
	}
	return &chainpb.Entry{Body: &chainpb.Entry_Proposal{Proposal: p}}
}

// ApprovalEntry returns the approval of proposer's proposal id, whose
// encoded entry is entry.
func ApprovalEntry(proposer chain.IssuerID, id string, entry []byte) *chainpb.Entry {
	h := sha256.Sum256(entry)
	return &chainpb.Entry{Body: &chainpb.Entry_Approval{Approval: &chainpb.Approval{Proposer: proposer[:], ProposalId: id, ProposalHash: h[:]}}}
}
