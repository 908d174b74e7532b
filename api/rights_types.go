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
