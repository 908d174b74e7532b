package store

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// A read that meets corruption (a table block whose checksum fails, or a
// stored value that does not decode) returns an error wrapping ErrCorrupt
// to its caller and marks the store unhealthy; it never panics. Pebble's
// default reaction to a corrupt table is Logger.Fatalf, which is why Open
// installs its own DataCorruption listener. The first corruption is logged
// at ERROR at once; later ones at most once a minute, with their count, so
// a damaged table read by every request does not flood the log. Nothing
// repairs the store: `credmesh check` names the damage, and the way back
// is a rebuild from the network (docs/OPERATIONS.md).

// corruptLogEvery bounds the ERROR log of repeated corruptions.
const corruptLogEvery = time.Minute

// Health is what the store knows of its own integrity.
type Health struct {
	// Healthy is false once any read met corruption.
	Healthy bool
	// Err is the first corruption met, nil while healthy.
	Err error
	// Corruptions counts the reads (and background reads) that met
	// corruption.
	Corruptions uint64
}

// health tracks the corruptions reads met. It is safe for concurrent use.
type health struct {
	log *slog.Logger
	mu  struct {
		sync.Mutex
		first      error
		count      uint64
		lastLog    time.Time
		unreported uint64 // corruptions since the last log line
	}
}

// corrupt records err, a corruption met at now, and logs it if due.
func (h *health) corrupt(err error, now time.Time) {
	h.mu.Lock()
	h.mu.count++
	first := h.mu.first == nil
	if first {
		h.mu.first = err
	}
	h.mu.unreported++
	due := first || now.Sub(h.mu.lastLog) >= corruptLogEvery
	var n uint64
	if due {
		n, h.mu.unreported, h.mu.lastLog = h.mu.unreported, 0, now
	}
	h.mu.Unlock()
	switch {
	case first:
		h.log.Error("store corruption: the database is damaged; run 'credmesh check' with the peer stopped, then rebuild from the network (docs/OPERATIONS.md, \"Store corruption\")", "err", err)
	case due:
		h.log.Error("store corruption: reads keep meeting damaged data", "since_last_report", n, "total", h.count(), "err", err)
	}
}

func (h *health) count() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.mu.count
}

func (h *health) get() Health {
	h.mu.Lock()
	defer h.mu.Unlock()
	return Health{Healthy: h.mu.first == nil, Err: h.mu.first, Corruptions: h.mu.count}
}

// Health reports whether any read has met corruption so far.
func (s *Store) Health() Health { return s.health.get() }

// dataCorruption is Pebble's DataCorruption listener: it is called in the
// read path (and by compactions) with the damaged table, before the read
// returns its error.
func (h *health) dataCorruption(info pebble.DataCorruptionInfo) {
	h.corrupt(corruptionError(info), time.Now())
}

// corruptionError is a short, printable ErrCorrupt for a damaged table:
// its file, the keys it holds, what failed.
func corruptionError(info pebble.DataCorruptionInfo) error {
	return fmt.Errorf("%w: table %s (%s): %v", ErrCorrupt, filepath.Base(info.Path),
		describeRange(info.Bounds.Start, info.Bounds.End.Key), info.Details)
}

// readErr turns an error of a Pebble read into what the store returns: a
// corruption becomes ErrCorrupt naming the table (the listener has
// recorded it); anything else is returned as it is.
func (s *Store) readErr(err error) error {
	if err == nil || errors.Is(err, ErrCorrupt) || !pebble.IsCorruptionError(err) {
		return err
	}
	if info := pebble.ExtractDataCorruptionInfo(err); info != nil {
		return corruptionError(*info)
	}
	err = fmt.Errorf("%w: %v", ErrCorrupt, err)
	s.health.corrupt(err, time.Now())
	return err
}

// corruptf returns an ErrCorrupt error for stored bytes that do not decode
// and marks the store unhealthy.
func (s *Store) corruptf(format string, args ...any) error {
	err := fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
	s.health.corrupt(err, time.Now())
	return err
}
