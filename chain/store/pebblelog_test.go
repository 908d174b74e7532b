package store

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// A flush failing in a loop reports each failure; the log gets one line a
// minute per kind, with the count of those left out.
func TestPebbleLogIsRateLimited(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(1_700_000_000, 0)
	p := newPebbleLogger(slog.New(slog.NewTextHandler(&buf, nil)), func() time.Time { return now })
	s := &Store{}
	for i := range 1000 {
		p.Errorf("flush failed: %d", i)
		s.backgroundError(p, errors.New("compaction: checksum"))
		now = now.Add(10 * time.Millisecond)
	}
	if n := strings.Count(buf.String(), "\n"); n != 2 {
		t.Fatalf("%d lines for 2000 messages in 10 s, want 2:\n%s", n, buf.String())
	}
	now = now.Add(time.Minute)
	p.Errorf("flush failed: %d", 1000)
	if !strings.Contains(buf.String(), "similar_messages_not_logged=999") {
		t.Fatalf("left-out count missing:\n%s", buf.String())
	}
	if s.BackgroundErrors() != 1000 {
		t.Fatalf("background errors counted %d, want 1000", s.BackgroundErrors())
	}
}

// A background error for lack of space returns at once (Pebble calls it
// holding its main mutex) and holds up the retry instead: the next table
// file created through diskFS waits out the backoff, other files do not.
func TestNoSpaceBackgroundErrorPacesTheRetry(t *testing.T) {
	p := newPebbleLogger(slog.New(slog.DiscardHandler), time.Now)
	s := &Store{}
	fs := diskFS(vfs.NewMem(), nil, s.waitAfterNoSpace, nil)
	start := time.Now()
	if f, err := fs.Create("000001.sst", vfs.WriteCategoryUnspecified); err != nil {
		t.Fatal(err)
	} else {
		f.Close()
	}
	if took := time.Since(start); took >= backoffOnNoSpace {
		t.Fatalf("a table was held up %s with no error before it", took)
	}
	start = time.Now()
	s.backgroundError(p, fmt.Errorf("pebble: flush: %w", syscall.ENOSPC))
	if took := time.Since(start); took >= backoffOnNoSpace {
		t.Fatalf("the listener blocked %s", took)
	}
	if f, err := fs.Create("000002.log", vfs.WriteCategoryUnspecified); err != nil {
		t.Fatal(err)
	} else {
		f.Close()
	}
	if took := time.Since(start); took >= backoffOnNoSpace {
		t.Fatalf("a log file was held up %s", took)
	}
	if f, err := fs.Create("000003.sst", vfs.WriteCategoryUnspecified); err != nil {
		t.Fatal(err)
	} else {
		f.Close()
	}
	if took := time.Since(start); took < backoffOnNoSpace {
		t.Fatalf("the retry's table was created %s after the error, want at least %s", took, backoffOnNoSpace)
	}
}
