package api

import (
	"context"
	"time"

	"github.com/credmesh/credmesh/records"
)

// RightsBackend is the part of a peer that publishes what the subject's
// rights need: corrections of its own entries. A Backend without it
// answers 501 on those endpoints.
type RightsBackend interface {
	// Correct publishes a correction of one of the peer's own sealed
	// entries. ErrNotFound: the peer's chain holds no such entry;
	// ErrForbidden: the peer's roles do not allow it; ErrBadRequest:
	// the request is not a valid correction.
	Correct(ctx context.Context, req CorrectionRequest) (*CorrectionResult, error)
}

// Correction actions.
const (
	ActionReplace  = "replace"
	ActionWithdraw = "withdraw"
)

// CorrectionRequest is POST /v1/corrections: replace or withdraw one of
// this member's own entries, naming it by its order ID (a payment) or its
// event ID (a credit event).
type CorrectionRequest struct {
	// CorrectionID names the correction on the chain (unique per
	// member); empty: the peer makes one.
	CorrectionID string           `json:"correction_id,omitempty"`
	Target       CorrectionTarget `json:"target"`
	Action       string           `json:"action"` // replace or withdraw
	// Replacement is the record as it should have been (replace only):
	// the same type and order or event ID as the target.
	Replacement *records.Record `json:"replacement,omitempty"`
	Reason      string          `json:"reason"`
}

// CorrectionTarget names an entry of the member's own chain.
type CorrectionTarget struct {
	Type    string `json:"type"` // payment or credit_event
	OrderID string `json:"order_id,omitempty"`
	EventID string `json:"event_id,omitempty"`
}

// CorrectionResult answers POST /v1/corrections once the correction is
// durable on the member's chain.
type CorrectionResult struct {
	CorrectionID string `json:"correction_id"`
	TargetKey    string `json:"target_key"` // hex entry key of the corrected entry
	Action       string `json:"action"`
	Status       string `json:"status"` // accepted
}

// CorrectionView is one correction in the history of an entry, oldest
// first, each from a verified proof.
type CorrectionView struct {
	CorrectionID string    `json:"correction_id"`
	Action       string    `json:"action"`
	Reason       string    `json:"reason"`
	Height       uint64    `json:"height"`
	BlockHash    string    `json:"block_hash"`
	At           time.Time `json:"at"` // the correction's block time
	Verified     bool      `json:"verified"`
}

// DisputesBackend is the part of a peer that enters subjects' disputes
// and answers them. A Backend without it answers 501 on those endpoints.
type DisputesBackend interface {
	// Dispute enters a subject's dispute of an entry of another member's
	// chain on this member's chain. ErrNotFound: this peer's replica
	// holds no such entry about the subject.
	Dispute(ctx context.Context, req DisputeRequest) (*DisputeView, error)
	// Confirm answers a dispute of one of this member's entries: the
	// entry is right. ErrNotFound: no such dispute of ours.
	Confirm(ctx context.Context, req ConfirmRequest) (*DisputeView, error)
	// Disputes lists the disputes of the entries of issuer (a peer ID;
	// empty: this member), oldest first, each with its state.
	Disputes(issuer string) (*DisputeList, error)
}

// Dispute states.
const (
	DisputeOpen      = "open"      // unanswered, before its deadline
	DisputeOverdue   = "overdue"   // unanswered past its deadline
	DisputeConfirmed = "confirmed" // the issuer confirmed the entry
	DisputeCorrected = "corrected" // the issuer corrected the entry after the dispute
)

// DisputeRequest is POST /v1/disputes: the subject, who presented their
// ID at this member, disputes an entry of another member's chain.
type DisputeRequest struct {
	DisputeID string          `json:"dispute_id,omitempty"` // default: made by the peer
	Subject   records.Subject `json:"subject"`
	Target    DisputeTarget   `json:"target"`
	Statement string          `json:"statement"` // the subject's statement, 1 to 1024 bytes
}

// DisputeTarget names the disputed entry: its issuer and its order or
// event ID.
type DisputeTarget struct {
	Issuer  string `json:"issuer"` // peer ID
	Type    string `json:"type"`   // payment or credit_event
	OrderID string `json:"order_id,omitempty"`
	EventID string `json:"event_id,omitempty"`
}

// ConfirmRequest is POST /v1/disputes/confirm: this member, the disputed
// entry's issuer, confirms the entry.
type ConfirmRequest struct {
	Disputer  string `json:"disputer"` // peer ID of the member that entered the dispute
	DisputeID string `json:"dispute_id"`
	Reason    string `json:"reason"`
}

// DisputeView is one dispute and its state.
type DisputeView struct {
	DisputeID    string    `json:"dispute_id"`
	Disputer     string    `json:"disputer"` // the member that entered it
	DisputerName string    `json:"disputer_name,omitempty"`
	Issuer       string    `json:"issuer"` // the disputed entry's issuer
	IssuerName   string    `json:"issuer_name,omitempty"`
	SubjectRef   string    `json:"subject_ref"`
	TargetKey    string    `json:"target_key"` // hex
	Statement    string    `json:"statement"`
	FiledAt      time.Time `json:"filed_at"` // the dispute's block time
	Deadline     time.Time `json:"deadline"`
	State        string    `json:"state"`
	// Answer is the confirmation's or the correction's reason, once
	// answered.
	Answer   string    `json:"answer,omitempty"`
	AnswerAt time.Time `json:"answer_at,omitzero"`
}

// DisputeList answers GET /v1/disputes.
type DisputeList struct {
	Issuer   string        `json:"issuer"`
	Disputes []DisputeView `json:"disputes"`
	Overdue  int           `json:"overdue"`
}
