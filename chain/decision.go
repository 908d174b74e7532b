package chain

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/credmesh/credmesh/chain/chainpb"
)

// Keys of decision entries (see EntryKey).
const (
	KeyProposal byte = 0x06 // + proposal ID
	KeyApproval byte = 0x07 // + proposer (32 bytes) + proposal ID
)

// Bounds of the fields of a decision.
const (
	MaxMemberNameLen = 64  // characters of a member's display name
	MaxMemberAddrs   = 8   // addresses of an admitted member
	MaxAddrLen       = 256 // bytes of one address
	MaxParamNameLen  = 64
	MaxParamValueLen = 128
)

func validateProposal(p *chainpb.Proposal) error {
	const m = "Proposal"
	if err := checkID(p.ProposalId, true); err != nil {
		return fieldError(m, "proposal_id", "%v", err)
	}
	if err := checkTime(p.ActivateAtMs); err != nil {
		return fieldError(m, "activate_at_ms", "%v", err)
	}
	if err := checkText(p.Reason, MaxReasonLen); err != nil {
		return fieldError(m, "reason", "%v", err)
	}
	switch c := p.Change.(type) {
	case *chainpb.Proposal_Admit:
		a := c.Admit
		if err := checkRef(a.Issuer); err != nil {
			return fieldError(m, "admit.issuer", "%v", err)
		}
		if n := utf8.RuneCountInString(a.Name); n == 0 || n > MaxMemberNameLen {
			return fieldError(m, "admit.name", "must have 1 to %d characters, has %d", MaxMemberNameLen, n)
		}
		if err := checkText(a.Name, 4*MaxMemberNameLen); err != nil {
			return fieldError(m, "admit.name", "%v", err)
		}
		if a.Roles == 0 || Role(a.Roles)&^AllRoles != 0 || a.Roles > uint32(AllRoles) {
			return fieldError(m, "admit.roles", "%d is not a non-empty set of the roles 1 (payments), 2 (credit), 4 (query)", a.Roles)
		}
		if err := checkAddrs(a.Addrs); err != nil {
			return fieldError(m, "admit.addrs", "%v", err)
		}
	case *chainpb.Proposal_Remove:
		if err := checkRef(c.Remove.Issuer); err != nil {
			return fieldError(m, "remove.issuer", "%v", err)
		}
	case *chainpb.Proposal_Rotate:
		r := c.Rotate
		if err := checkRef(r.Issuer); err != nil {
			return fieldError(m, "rotate.issuer", "%v", err)
		}
		if err := checkRef(r.NewIssuer); err != nil {
			return fieldError(m, "rotate.new_issuer", "%v", err)
		}
		if IssuerID(r.Issuer) == IssuerID(r.NewIssuer) {
			return fieldError(m, "rotate.new_issuer", "is the current key")
		}
		if err := checkAddrs(r.Addrs); err != nil {
			return fieldError(m, "rotate.addrs", "%v", err)
		}
	case *chainpb.Proposal_Param:
		if err := checkID(c.Param.Name, true); err != nil || len(c.Param.Name) > MaxParamNameLen {
			return fieldError(m, "param.name", "must be 1 to %d printable ASCII characters", MaxParamNameLen)
		}
		if err := checkText(c.Param.Value, MaxParamValueLen); err != nil {
			return fieldError(m, "param.value", "%v", err)
		}
	case nil:
		return fieldError(m, "change", "required: admit, remove, rotate or param")
	default:
		return fieldError(m, "change", "unknown change %T", c)
	}
	return nil
}

func checkAddrs(addrs []string) error {
	if len(addrs) > MaxMemberAddrs {
		return fmt.Errorf("%d addresses, limit %d", len(addrs), MaxMemberAddrs)
	}
	for i, a := range addrs {
		if a == "" || len(a) > MaxAddrLen {
			return fmt.Errorf("address %d must have 1 to %d bytes", i+1, MaxAddrLen)
		}
		if err := checkText(a, MaxAddrLen); err != nil {
			return fmt.Errorf("address %d: %v", i+1, err)
		}
	}
	return nil
}

func validateApproval(a *chainpb.Approval) error {
	const m = "Approval"
	if err := checkRef(a.Proposer); err != nil {
		return fieldError(m, "proposer", "%v", err)
	}
	if err := checkID(a.ProposalId, true); err != nil {
		return fieldError(m, "proposal_id", "%v", err)
	}
	if err := checkRef(a.ProposalHash); err != nil {
		return fieldError(m, "proposal_hash", "%v", err)
	}
	return nil
}

// ProposalKey returns the key of proposer's proposal id: a proposal's
// EntryKey and, with the proposer, its identity across the network.
func ProposalKey(id string) []byte { return append([]byte{KeyProposal}, id...) }

// ApprovalKey returns the key of an approval of proposer's proposal id.
func ApprovalKey(proposer IssuerID, id string) []byte {
	k := append([]byte{KeyApproval}, proposer[:]...)
	return append(k, id...)
}

// CheckDecision checks what a decision entry may be on issuer's chain in
// a block of blockTime, beyond its fields: a proposal activates at least
// p.ActivationDelay after its block; an approval is of another member's
// proposal (a proposal counts as its proposer's approval). Any member may
// propose and approve, whatever its roles. Failures are provable and wrap
// ErrBadEntry. Other entries pass.
func CheckDecision(e *chainpb.Entry, issuer IssuerID, p Params, blockTime time.Time) error {
	switch b := e.Body.(type) {
	case *chainpb.Entry_Proposal:
		at := time.UnixMilli(b.Proposal.ActivateAtMs)
		if lead := at.Sub(blockTime); lead < p.ActivationDelay || lead <= 0 {
			return fieldError("Proposal", "activate_at_ms", "%s after its block; the activation delay is %s", lead, p.ActivationDelay)
		}
	case *chainpb.Entry_Approval:
		if IssuerID(b.Approval.Proposer) == issuer {
			return fieldError("Approval", "proposer", "is the approver: a proposal already counts as its proposer's approval")
		}
	}
	return nil
}
