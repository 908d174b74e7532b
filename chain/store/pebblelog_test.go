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

// A background error for lack of space holds up Pebble's retry loop.
func TestNoSpaceBackgroundErrorBacksOff(t *testing.T) {
	p := newPebbleLogger(slog.New(slog.DiscardHandler), time.Now)
	s := &Store{}
	start := time.Now()
	s.backgroundError(p, fmt.Errorf("pebble: flush: %w", syscall.ENOSPC))
	if took := time.Since(start); took < backoffOnNoSpace {
		t.Fatalf("returned after %s, want at least %s", took, backoffOnNoSpace)
	}
}
