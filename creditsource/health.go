package creditsource

import (
	"errors"
	"sync"
	"time"
)

// Health is a source's state for status and /metrics.
type Health struct {
	// Kind names the backend: "store" or "postgres".
	Kind string
	// OK is false from a failed call (ErrUnavailable or ErrBadRow) to the
	// next successful one.
	OK bool
	// Err is the last failure, while !OK; it names no subject.
	Err string
	// Since is when the current state began (zero before any call).
	Since time.Time
	// Answers and Failures count the calls that returned events and
	// those that failed.
	Answers, Failures uint64
	// Subjects is how many subjects the source's index holds (pgsource),
	// or -1 where the source keeps no index.
	Subjects int
	// IndexedAt is when that index was last rebuilt (zero: never).
	IndexedAt time.Time
}

// Tracker keeps a source's Health from the results of its calls. Its zero
// value is not ready: use NewTracker.
type Tracker struct {
	mu struct {
		sync.Mutex
		h Health
	}
	now func() time.Time
}

// NewTracker returns a tracker for a backend of the given kind, OK until
// a call fails.
func NewTracker(kind string, now func() time.Time) *Tracker {
	if now == nil {
		now = time.Now
	}
	t := &Tracker{now: now}
	t.mu.h = Health{Kind: kind, OK: true, Subjects: -1}
	return t
}

// Record notes the result of one call: nil, or an error of the source.
// Other errors (the caller's own cancellation) leave the state as it is.
func (t *Tracker) Record(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := &t.mu.h
	switch {
	case err == nil:
		h.Answers++
		if !h.OK || h.Since.IsZero() {
			h.OK, h.Err, h.Since = true, "", t.now()
		}
	case errors.Is(err, ErrUnavailable), errors.Is(err, ErrBadRow):
		h.Failures++
		if h.OK || h.Since.IsZero() {
			h.Since = t.now()
		}
		h.OK, h.Err = false, err.Error()
	}
}

// Indexed notes a rebuilt index of n subjects.
func (t *Tracker) Indexed(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.mu.h.Subjects, t.mu.h.IndexedAt = n, t.now()
}

// Health returns the state.
func (t *Tracker) Health() Health {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.mu.h
}
