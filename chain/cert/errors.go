package cert

import (
	"errors"
	"fmt"

	"github.com/credmesh/credmesh/chain"
)

// Errors of this package. A certificate that is malformed or fails a check
// matches ErrInvalid; one that is valid but has fewer cosignatures than
// the policy wants matches ErrUnwitnessed.
var (
	ErrInvalid     = errors.New("cert: invalid certificate")
	ErrUnwitnessed = errors.New("cert: too few witnesses cosigned the certificate's block")
)

// invalid wraps ErrInvalid with what failed.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// WitnessError is a valid certificate with fewer distinct witnesses than
// the policy wants. It matches ErrUnwitnessed.
type WitnessError struct {
	Issuer     chain.IssuerID
	Height     uint64
	Have, Want int
}

func (e *WitnessError) Error() string {
	return fmt.Sprintf("%v: block %d of issuer %s has %d valid cosignatures of other members, the policy wants %d",
		ErrUnwitnessed, e.Height, e.Issuer.Short(), e.Have, e.Want)
}

func (e *WitnessError) Is(target error) bool { return target == ErrUnwitnessed }
