package diskspace

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Level is how short of space the disk is.
type Level int

// Levels, from plenty to none.
const (
	OK       Level = iota // free >= Reserve
	Low                   // free < Reserve: own submissions refused
	Critical              // free < Floor: others' blocks not stored either
)

func (l Level) String() string {
	switch l {
	case OK:
		return "ok"
	case Low:
		return "low"
	}
	return "critical"
}

// Usage is what the file system reports.
type Usage struct {
	AvailBytes uint64 // free to an unprivileged writer
	TotalBytes uint64
}

// Config configures a Watch.
type Config struct {
	// Dir is the directory whose file system is watched.
	Dir string
	// ReserveBytes is the free space below which the level is Low.
	ReserveBytes int64
	// FloorBytes is the free space below which the level is Critical; at
	// most ReserveBytes.
	FloorBytes int64
	// BallastPath is the ballast file; BallastBytes its size (0: none).
	BallastPath  string
	BallastBytes int64
	// Unflushed, if set, returns the bytes the database holds in its WAL
	// but has not flushed; they are counted as used (see the package
	// documentation).
	Unflushed func() int64
	// Statfs reads the file system (default: statfs(2)).
	Statfs func(dir string) (Usage, error)
	// Now reads the clock (default time.Now).
	Now func() time.Time
	// LogEvery is the least time between two log lines about the same
	// condition (default one minute).
	LogEvery time.Duration
	Logger   *slog.Logger
}

// State is the result of the last check.
type State struct {
	FreeBytes    int64 // available less unflushed; may be negative
	TotalBytes   int64
	ReserveBytes int64
	FloorBytes   int64
	BallastBytes int64 // size of the ballast file in place (0: none)
	Level        Level
	// ReadOnly is set once SetReadOnly was called: the database is open
	// read-only and the level is Critical whatever the free space.
	ReadOnly bool
	// Err is set when the file system could not be read; the level is
	// then that of the last good reading.
	Err error
}

// Watch keeps the level of a file system. It is safe for concurrent use.
type Watch struct {
	cfg Config

	mu struct {
		sync.Mutex
		st         State
		logged     Level     // level of the last log line
		loggedAt   time.Time // when it was written
		suppressed int       // changes of level not logged since
	}
}

// SetReadOnly records that the database could not be opened for writing
// (the disk had no room for it) and is open read-only: from now on the
// level is Critical whatever the free space, since nothing can be
// written, and the log says that the peer must be restarted once space is
// freed. It cannot be undone; a restart makes a new Watch.
func (w *Watch) SetReadOnly() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.mu.st.ReadOnly = true
	w.mu.st.Level = Critical
}

// New checks the file system once and settles the ballast: deleted if the
// level is Critical (to give the database room to open), made if there is
// room for it.
func New(cfg Config) (*Watch, error) {
	if cfg.FloorBytes > cfg.ReserveBytes || cfg.FloorBytes < 0 || cfg.BallastBytes < 0 {
		return nil, errors.New("diskspace: want 0 <= FloorBytes <= ReserveBytes and BallastBytes >= 0")
	}
	if cfg.Statfs == nil {
		cfg.Statfs = statfs
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LogEvery <= 0 {
		cfg.LogEvery = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	w := &Watch{cfg: cfg}
	w.mu.st.BallastBytes = ballastSize(cfg.BallastPath)
	if st := w.Check(); st.Err != nil {
		return nil, fmt.Errorf("diskspace: reading free space of %s: %w", cfg.Dir, st.Err)
	}
	w.Maintain()
	return w, nil
}

// Check reads the file system now and returns the new state. On Critical
// it deletes the ballast first.
func (w *Watch) Check() State {
	u, err := w.cfg.Statfs(w.cfg.Dir)
	var unflushed int64
	if err == nil && w.cfg.Unflushed != nil && int64(u.AvailBytes) < w.cfg.ReserveBytes+1<<30 {
		// Only near the reserve is the database asked: its metrics cost
		// more than a statfs.
		unflushed = w.cfg.Unflushed()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	st := &w.mu.st
	prev := st.Level
	st.ReserveBytes, st.FloorBytes, st.Err = w.cfg.ReserveBytes, w.cfg.FloorBytes, err
	if err == nil {
		st.FreeBytes = int64(u.AvailBytes) - unflushed
		st.TotalBytes = int64(u.TotalBytes)
		st.Level = w.level(st.FreeBytes)
		if st.Level == Critical && st.BallastBytes > 0 {
			w.releaseBallastLocked("the disk is nearly full")
		}
		if st.ReadOnly {
			st.Level = Critical
		}
	}
	w.logLocked(prev)
	return *st
}

func (w *Watch) level(free int64) Level {
	switch {
	case free < w.cfg.FloorBytes:
		return Critical
	case free < w.cfg.ReserveBytes:
		return Low
	}
	return OK
}

// Room reports whether n more bytes can be taken from the file system and
// leave it above the reserve. It reads statfs only, never the database
// (Unflushed), so it is safe to call from inside a database write.
func (w *Watch) Room(n int64) bool { return w.Fits(n, w.cfg.ReserveBytes) }

// Fits reports whether n more bytes can be taken from the file system and
// leave at least keep bytes free. Like Room it reads statfs only.
func (w *Watch) Fits(n, keep int64) bool {
	u, err := w.cfg.Statfs(w.cfg.Dir)
	return err == nil && int64(u.AvailBytes)-n >= keep
}

// State returns the result of the last check without reading the file
// system.
func (w *Watch) State() State {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.mu.st
}

// Maintain checks, logs the level if it is due and makes the ballast again
// once there is room for it. Call it every few seconds.
func (w *Watch) Maintain() State {
	st := w.Check()
	if st.Err != nil || st.BallastBytes > 0 || w.cfg.BallastBytes == 0 {
		return st
	}
	if st.FreeBytes-w.cfg.BallastBytes < w.cfg.ReserveBytes {
		return st
	}
	if err := makeBallast(w.cfg.BallastPath, w.cfg.BallastBytes); err != nil {
		w.cfg.Logger.Warn("could not make the disk ballast; the peer runs without it", "path", w.cfg.BallastPath, "bytes", w.cfg.BallastBytes, "err", err)
		return st
	}
	w.mu.Lock()
	w.mu.st.BallastBytes = w.cfg.BallastBytes
	w.mu.Unlock()
	return w.Check()
}

// ReleaseBallast deletes the ballast file now, if there is one, and says
// why in the log; for a write that found the disk full.
func (w *Watch) ReleaseBallast(why string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.mu.st.BallastBytes > 0 {
		w.releaseBallastLocked(why)
	}
}

// releaseBallastLocked deletes the ballast file.
func (w *Watch) releaseBallastLocked(why string) {
	if err := removeBallast(w.cfg.BallastPath); err != nil {
		w.cfg.Logger.Error("could not delete the disk ballast", "path", w.cfg.BallastPath, "err", err)
		return
	}
	w.cfg.Logger.Warn(why+": deleted the ballast file to keep room for sealing and shutting down; it is made again when space returns",
		"path", w.cfg.BallastPath, "freed_bytes", w.mu.st.BallastBytes)
	w.mu.st.FreeBytes += w.mu.st.BallastBytes
	w.mu.st.BallastBytes = 0
	if !w.mu.st.ReadOnly {
		w.mu.st.Level = w.level(w.mu.st.FreeBytes)
	}
}

// logLocked writes the state when it changed from the one last logged or,
// while it is not OK, once every LogEvery; never more often than once every
// LogEvery. prev is the level before this check.
func (w *Watch) logLocked(prev Level) {
	st, now := w.mu.st, w.cfg.Now()
	if st.Level == w.mu.logged && (st.Level == OK || now.Sub(w.mu.loggedAt) < w.cfg.LogEvery) {
		return
	}
	if now.Sub(w.mu.loggedAt) < w.cfg.LogEvery && !w.mu.loggedAt.IsZero() {
		if st.Level != prev {
			w.mu.suppressed++
		}
		return
	}
	args := []any{"free_bytes", st.FreeBytes, "reserve_bytes", st.ReserveBytes, "floor_bytes", st.FloorBytes, "dir", w.cfg.Dir}
	if w.mu.suppressed > 0 {
		args = append(args, "changes_not_logged", w.mu.suppressed)
	}
	switch {
	case st.ReadOnly && st.FreeBytes >= st.ReserveBytes:
		w.cfg.Logger.Warn("disk space ok, but the database is open read-only since the peer started on a full disk: restart the peer to accept submissions and store other members' blocks again", args...)
	case st.ReadOnly:
		w.cfg.Logger.Error("disk full: the database is open read-only since the peer started, so submissions are refused (HTTP 507) and other members' blocks not stored; free space, then restart the peer", args...)
	case st.Level == OK:
		w.cfg.Logger.Info("disk space ok: accepting submissions again", args...)
	case st.Level == Low:
		w.cfg.Logger.Warn("disk space low: submissions are refused (HTTP 507) until space is freed", args...)
	default:
		w.cfg.Logger.Error("disk space critical: submissions refused and other members' blocks not stored until space is freed", args...)
	}
	w.mu.logged, w.mu.loggedAt, w.mu.suppressed = st.Level, now, 0
}
