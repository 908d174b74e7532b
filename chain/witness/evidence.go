package witness

import (
	"fmt"

	"github.com/credmesh/credmesh/chain"
)

// Evidence is two cosignatures of one witness for one chain that no
// honest witness makes: the same height with two hashes, or a later
// signature with a lower height (a regress).
type Evidence struct {
	A, B Cosignature
}

// ErrBadEvidence is wrapped by every error of Evidence.Verify.
var ErrBadEvidence = fmt.Errorf("witness: not evidence")

// NewEvidence returns evidence if a and b conflict, and nil otherwise.
// Signatures are not checked; Verify does that.
func NewEvidence(a, b Cosignature) *Evidence {
	if !conflict(a, b) {
		return nil
	}
	if string(b.Signature) < string(a.Signature) {
		a, b = b, a
	}
	return &Evidence{A: a, B: b}
}

func conflict(a, b Cosignature) bool {
	if a.Witness != b.Witness || a.Head.Issuer != b.Head.Issuer {
		return false
	}
	if a.Head.Height == b.Head.Height {
		return a.Head.Hash != b.Head.Hash
	}
	ta, tb := SignatureTime(a.Signature), SignatureTime(b.Signature)
	if tb.Before(ta) {
		a, b, ta, tb = b, a, tb, ta
	}
	// b signed no earlier than a, at another height: a regress if lower.
	return tb.After(ta) && b.Head.Height < a.Head.Height
}

// Witness returns the witness the evidence is against.
func (ev *Evidence) Witness() chain.IssuerID { return ev.A.Witness }

// Verify checks that both cosignatures verify and conflict.
func (ev *Evidence) Verify(networkID string, members chain.Members) error {
	if !conflict(ev.A, ev.B) {
		return fmt.Errorf("%w: the cosignatures do not conflict", ErrBadEvidence)
	}
	if err := ev.A.Verify(networkID, members); err != nil {
		return fmt.Errorf("%w: first: %w", ErrBadEvidence, err)
	}
	if err := ev.B.Verify(networkID, members); err != nil {
		return fmt.Errorf("%w: second: %w", ErrBadEvidence, err)
	}
	return nil
}
