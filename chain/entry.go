package chain

import (
	"fmt"

	"github.com/credmesh/credmesh/chain/chainpb"
	"google.golang.org/protobuf/proto"
)

// Entry key prefixes: an entry key is one kind byte followed by the kind's
// identifier, and is unique within one issuer's chain.
const (
	KeyPayment     byte = 0x01 // + lookup hash (32 bytes)
	KeyCreditEvent byte = 0x02 // + event ID
	KeyReceipt     byte = 0x03 // + querier (32 bytes) + SHA-256 of the signed query (32 bytes)
	KeyCorrection  byte = 0x04 // + correction ID
	// KeyQueryID is no entry's key but a receipt's second one (see
	// QueryIDKey): + querier (32 bytes) + query ID.
	KeyQueryID byte = 0x05
)

// DecodeEntry decodes one encoded chainpb.Entry of at most maxBytes bytes
// strictly (UnmarshalStrict) and validates its fields.
func DecodeEntry(data []byte, maxBytes int) (*chainpb.Entry, error) {
	if len(data) > maxBytes {
		return nil, fmt.Errorf("%w: entry of %d bytes, limit %d", ErrOversized, len(data), maxBytes)
	}
	e := new(chainpb.Entry)
	if err := UnmarshalStrict(data, e); err != nil {
		return nil, fmt.Errorf("%w: entry: %v", ErrMalformed, err)
	}
	if err := ValidateEntry(e); err != nil {
		return nil, err
	}
	return e, nil
}

// EncodeEntry validates e and returns its deterministic encoding.
func EncodeEntry(e *chainpb.Entry) ([]byte, error) {
	if err := ValidateEntry(e); err != nil {
		return nil, err
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(e)
}

// EntryKey returns the entry's key, unique within its issuer's chain. The
// entry must have passed ValidateEntry.
func EntryKey(e *chainpb.Entry) []byte {
	switch b := e.Body.(type) {
	case *chainpb.Entry_Payment:
		return append([]byte{KeyPayment}, b.Payment.Lookup...)
	case *chainpb.Entry_CreditEvent:
		return append([]byte{KeyCreditEvent}, b.CreditEvent.EventId...)
	case *chainpb.Entry_QueryReceipt:
		q, err := DecodeCreditQuery(b.QueryReceipt.Query)
		if err != nil {
			return nil
		}
		return ReceiptKey(IssuerID(q.Querier), b.QueryReceipt.Query)
	case *chainpb.Entry_Correction:
		return append([]byte{KeyCorrection}, b.Correction.CorrectionId...)
	case *chainpb.Entry_Proposal:
		return ProposalKey(b.Proposal.ProposalId)
	case *chainpb.Entry_Approval:
		return ApprovalKey(IssuerID(b.Approval.Proposer), b.Approval.ProposalId)
	case *chainpb.Entry_Dispute:
		return DisputeKey(b.Dispute.DisputeId)
	case *chainpb.Entry_Confirmation:
		return ConfirmationKey(IssuerID(b.Confirmation.Disputer), b.Confirmation.DisputeId)
	}
	return nil
}

// ValidateEntry checks every field of e. Errors wrap ErrBadEntry and name
// the field.
func ValidateEntry(e *chainpb.Entry) error {
	switch b := e.GetBody().(type) {
	case *chainpb.Entry_Payment:
		return validateSealedPayment(b.Payment)
	case *chainpb.Entry_CreditEvent:
		return ValidateCreditEvent(b.CreditEvent)
	case *chainpb.Entry_QueryReceipt:
		return ValidateQueryReceipt(b.QueryReceipt)
	case *chainpb.Entry_Correction:
		return validateCorrection(b.Correction)
	case *chainpb.Entry_Proposal:
		return validateProposal(b.Proposal)
	case *chainpb.Entry_Approval:
		return validateApproval(b.Approval)
	case *chainpb.Entry_Dispute:
		return validateDispute(b.Dispute)
	case *chainpb.Entry_Confirmation:
		return validateConfirmation(b.Confirmation)
	case nil:
		return fmt.Errorf("%w: entry has no body", ErrBadEntry)
	default:
		return fmt.Errorf("%w: unknown entry body %T", ErrBadEntry, b)
	}
}

// fieldError wraps ErrBadEntry with the message type and field name.
func fieldError(msg, field, format string, args ...any) error {
	return fmt.Errorf("%w: %s.%s: %s", ErrBadEntry, msg, field, fmt.Sprintf(format, args...))
}

// SubjectOf returns the subject reference an entry is about, or nil: credit
// events name one in clear, receipts in their signed query; payments keep
// theirs sealed; a correction is about its replacement's subject.
func SubjectOf(e *chainpb.Entry) []byte {
	switch b := e.Body.(type) {
	case *chainpb.Entry_CreditEvent:
		return b.CreditEvent.SubjectRef
	case *chainpb.Entry_QueryReceipt:
		if q, err := DecodeCreditQuery(b.QueryReceipt.Query); err == nil {
			return q.SubjectRef
		}
	case *chainpb.Entry_Correction:
		if b.Correction.Replacement != nil {
			return SubjectOf(b.Correction.Replacement)
		}
	case *chainpb.Entry_Dispute:
		return b.Dispute.SubjectRef
	}
	return nil
}
