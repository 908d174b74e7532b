package queryproto

import (
	"errors"
	"fmt"

	"github.com/credmesh/credmesh/creditsource"
)

// gatherError turns a failure to gather a subject's records into the
// error of the status the server answers. A credit source that is down,
// slow or holds a bad row makes the member UNAVAILABLE, never an answer
// without its accounts. The source's own error is logged here (it names
// rows, never subjects); the querier learns only which of the two it was,
// not the institution's database addresses or table names.
func (s *Server) gatherError(err error) error {
	switch {
	case errors.Is(err, creditsource.ErrBadRow):
		s.cfg.Logger.Error("credit source holds a bad row; credit queries on its subject are answered unavailable", "err", err)
		return fmt.Errorf("%w: credit source: this member holds a row it cannot answer from; its operator is told", ErrUnavailable)
	case errors.Is(err, creditsource.ErrUnavailable):
		s.cfg.Logger.Warn("credit source unavailable", "err", err)
		return fmt.Errorf("%w: credit source: this member's credit data could not be read in time; ask again later", ErrUnavailable)
	}
	return fmt.Errorf("%w: gathering records: %w", ErrInternal, err)
}

// SourceHealth reports the state of the credit source the server asks.
func (s *Server) SourceHealth() creditsource.Health { return s.cfg.Source.Health() }
