package creditsource

import (
	"context"
	"fmt"

	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/chain/store"
)

// Store is the embedded source: the private credit events the peer's own
// Pebble store holds (credit import, POST /v1/records).
type Store struct {
	st      *store.Store
	tracker *Tracker
}

var _ Source = (*Store)(nil)

// NewStore returns the source reading st's private records.
func NewStore(st *store.Store) *Store {
	return &Store{st: st, tracker: NewTracker("store", nil)}
}

// Events returns the private records held on subject. A store that
// cannot be read (corrupt, closed) is unavailable.
func (s *Store) Events(ctx context.Context, subject privacy.Ref) ([][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	evs, err := s.st.Private(subject[:])
	if err != nil {
		err = fmt.Errorf("%w: reading the store: %w", ErrUnavailable, err)
	}
	s.tracker.Record(err)
	return evs, err
}

// Health reports the store source's state.
func (s *Store) Health() Health { return s.tracker.Health() }

// Close does nothing: the store belongs to the peer.
func (s *Store) Close() error { return nil }
