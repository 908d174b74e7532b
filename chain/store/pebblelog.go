package store

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"syscall"
	"time"
)

// Pebble's messages go to our log, rate-limited: a failing flush or
// compaction is retried at once and reports every failure, which on a full
// disk once wrote 246 MB of log in ten minutes. Each format (or, for
// background errors, each kind) is logged at most once per pebbleLogEvery,
// with the count of the ones left out.
//
// Pebble calls Fatalf where it cannot go on (a WAL or MANIFEST write that
// failed, an invariant): it is logged and then panics, as Pebble expects.
// Nothing acknowledged is lost by that (acknowledgement follows the
// fsync), and the disk watch's reserve, the room kept for the WAL and the
// MANIFEST (dbReserve, diskfs.go) and the read-only open on a disk with no
// room for a read-write one (openDB) exist so that it never happens for
// lack of space.
const pebbleLogEvery = time.Minute

// backoffOnNoSpace is how long a background error caused by a full disk
// holds up Pebble's retry. Pebble retries a failed flush or compaction
// immediately (see its "count consecutive flush errors and backoff"
// TODO), which spun a core. The listener must not sleep: Pebble calls it
// with its main mutex held, which every write and Metrics() need. So the
// listener only notes the time, and the next table file the retry creates
// through diskFS waits out the rest of the second (Pebble creates tables
// without that mutex): one try a second, nobody else held up.
const backoffOnNoSpace = time.Second

type pebbleLogger struct {
	l   *slog.Logger
	now func() time.Time

	mu   sync.Mutex
	last map[string]time.Time // when each key was last logged
	left map[string]int       // messages of each key not logged since
}

func newPebbleLogger(l *slog.Logger, now func() time.Time) *pebbleLogger {
	return &pebbleLogger{l: l, now: now, last: make(map[string]time.Time), left: make(map[string]int)}
}

// allow reports whether a message of key may be logged now, and how many
// of its kind were left out before it.
func (p *pebbleLogger) allow(key string) (ok bool, left int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if t, seen := p.last[key]; seen && now.Sub(t) < pebbleLogEvery {
		p.left[key]++
		return false, 0
	}
	p.last[key] = now
	left = p.left[key]
	delete(p.left, key)
	return true, left
}

func (p *pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...))
}

func (p *pebbleLogger) Errorf(format string, args ...any) {
	if ok, left := p.allow(format); ok {
		p.l.Error(fmt.Sprintf(format, args...), leftOut(left)...)
	}
}

func (p *pebbleLogger) Fatalf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...))
	panic(fmt.Sprintf(format, args...))
}

func leftOut(n int) []any {
	if n == 0 {
		return nil
	}
	return []any{"similar_messages_not_logged", n}
}

// backgroundError is Pebble's EventListener.BackgroundError: a flush or
// compaction failed and will be retried.
func (s *Store) backgroundError(p *pebbleLogger, err error) {
	s.bgErrors.Add(1)
	noSpace := errors.Is(err, syscall.ENOSPC)
	key := "background error"
	if noSpace {
		key = "background error: no space"
	}
	if ok, left := p.allow(key); ok {
		p.l.Error("database background error; it is retried", append([]any{"err", err}, leftOut(left)...)...)
	}
	if noSpace {
		s.noSpaceAt.Store(time.Now().UnixNano())
	}
}

// waitAfterNoSpace waits until backoffOnNoSpace has passed since the last
// background error for lack of space, if there was one.
func (s *Store) waitAfterNoSpace() {
	if at := s.noSpaceAt.Load(); at != 0 {
		if d := time.Until(time.Unix(0, at).Add(backoffOnNoSpace)); d > 0 {
			time.Sleep(d)
		}
	}
}
