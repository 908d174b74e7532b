package chain

import (
	"bytes"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain/chainpb"
)

// Key prefixes of the subject's disputes and their confirmations.
const (
	KeyDispute      byte = 0x08 // + dispute ID
	KeyConfirmation byte = 0x09 // + disputer (32 bytes) + dispute ID
)

// MaxStatementLen bounds a subject's statement in a dispute, in bytes.
const MaxStatementLen = 1024

// DisputeKey is the key of a dispute on its disputer's chain.
func DisputeKey(id string) []byte { return append([]byte{KeyDispute}, id...) }

// ConfirmationKey is the key of the confirmation answering disputer's
// dispute id, on the disputed entry's issuer's chain.
func ConfirmationKey(disputer IssuerID, id string) []byte {
	return append(append([]byte{KeyConfirmation}, disputer[:]...), id...)
}

func validateDispute(d *chainpb.Dispute) error {
	const m = "Dispute"
	if err := checkID(d.DisputeId, true); err != nil {
		return fieldError(m, "dispute_id", "%v", err)
	}
	if len(d.SubjectRef) != RefSize {
		return fieldError(m, "subject_ref", "%d bytes, want %d", len(d.SubjectRef), RefSize)
	}
	if len(d.Issuer) != 32 {
		return fieldError(m, "issuer", "%d bytes, want 32", len(d.Issuer))
	}
	if err := checkEntryKey(d.TargetKey); err != nil {
		return fieldError(m, "target_key", "%v", err)
	}
	if err := checkText(d.Statement, MaxStatementLen); err != nil || d.Statement == "" {
		if err == nil {
			return fieldError(m, "statement", "required: the subject's statement")
		}
		return fieldError(m, "statement", "%v", err)
	}
	return nil
}

func validateConfirmation(c *chainpb.Confirmation) error {
	const m = "Confirmation"
	if len(c.Disputer) != 32 {
		return fieldError(m, "disputer", "%d bytes, want 32", len(c.Disputer))
	}
	if err := checkID(c.DisputeId, true); err != nil {
		return fieldError(m, "dispute_id", "%v", err)
	}
	if err := checkEntryKey(c.TargetKey); err != nil {
		return fieldError(m, "target_key", "%v", err)
	}
	if err := checkText(c.Reason, MaxReasonLen); err != nil || c.Reason == "" {
		if err == nil {
			return fieldError(m, "reason", "required")
		}
		return fieldError(m, "reason", "%v", err)
	}
	return nil
}

// checkDisputeRights: any member may enter a subject's dispute (the
// subject presents their ID wherever they like), but not one of its own
// entries, which it corrects instead; only a member with the role that
// writes the disputed kind may confirm (as for a correction), and only on
// its own chain, which a confirmation implies: readers match it to a
// dispute only when the confirmer is the dispute's issuer.
func checkDisputeRights(e *chainpb.Entry, issuer IssuerID, members Members) error {
	switch b := e.Body.(type) {
	case *chainpb.Entry_Dispute:
		d := b.Dispute
		if bytes.Equal(d.Issuer, issuer[:]) {
			return fmt.Errorf("%w: Dispute.issuer: a member does not dispute its own entry; it corrects it", ErrBadEntry)
		}
		if !members.Contains(IssuerID(d.Issuer)) {
			return fmt.Errorf("%w: Dispute.issuer: %s is not a member", ErrBadEntry, IssuerID(d.Issuer).Short())
		}
		return nil
	case *chainpb.Entry_Confirmation:
		k := b.Confirmation.TargetKey
		role, what := RoleCredit, "confirmations of credit events"
		if k[0] == KeyPayment {
			role, what = RolePayments, "confirmations of payments"
		}
		if !members.Has(issuer, role) {
			return fmt.Errorf("%w: %s are written only by members with the %s role; this member has %s", ErrNoRole, what, role, members[issuer])
		}
		if IssuerID(b.Confirmation.Disputer) == issuer {
			return fmt.Errorf("%w: Confirmation.disputer: a member confirms another member's dispute", ErrBadEntry)
		}
		return nil
	}
	return nil
}

// DisputeDeadline is when the answer to a dispute sealed at blockTime is
// due.
func DisputeDeadline(blockTime time.Time, p Params) time.Time {
	return blockTime.Add(p.DisputeWindow())
}
