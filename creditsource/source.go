package creditsource

import (
	"context"
	"errors"

	"github.com/credmesh/credmesh/chain/privacy"
)

// Source is where a member's private credit data is read when a credit
// query arrives. doc.go states the contract.
type Source interface {
	// Events returns the encoded CreditEvent entries the member holds on
	// subject, by ctx's deadline; errors wrap ErrUnavailable or ErrBadRow.
	Events(ctx context.Context, subject privacy.Ref) ([][]byte, error)
	// Health reports the source's state after its last calls.
	Health() Health
	// Close releases the backend; Events is not called after it.
	Close() error
}

// Errors of a Source (see doc.go).
var (
	ErrUnavailable = errors.New("creditsource: credit source unavailable")
	ErrBadRow      = errors.New("creditsource: bad row in the credit source")
	ErrMapping     = errors.New("creditsource: the mapping does not fit the credit source")
)
