package diskspace

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeDisk is a file system whose free space the test sets; the ballast
// file, when present, takes its size from it.
type fakeDisk struct {
	mu      sync.Mutex
	avail   int64
	ballast string
}

func (d *fakeDisk) statfs(string) (Usage, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return Usage{AvailBytes: uint64(max(d.avail-ballastSize(d.ballast), 0)), TotalBytes: 100 << 20}, nil
}

func (d *fakeDisk) set(avail int64) {
	d.mu.Lock()
	d.avail = avail
	d.mu.Unlock()
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestWatch(t *testing.T, avail int64) (*Watch, *fakeDisk, *clock, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	d := &fakeDisk{avail: avail, ballast: filepath.Join(dir, "ballast")}
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	var log bytes.Buffer
	w, err := New(Config{
		Dir: dir, ReserveBytes: 10 << 20, FloorBytes: 5 << 20,
		BallastPath: d.ballast, BallastBytes: 2 << 20,
		Statfs: d.statfs, Now: c.now, Logger: slog.New(slog.NewTextHandler(&log, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return w, d, c, &log
}

func TestLevels(t *testing.T) {
	w, d, _, _ := newTestWatch(t, 50<<20)
	for _, c := range []struct {
		avail int64
		want  Level
	}{
		// With the 2 MiB ballast in place, free is avail - 2 MiB, until
		// Critical deletes it: the level is then judged without it.
		{50 << 20, OK}, {12 << 20, OK}, {12<<20 - 1, Low}, {7 << 20, Low}, {6 << 20, Low}, {4 << 20, Critical}, {5 << 20, Low},
	} {
		d.set(c.avail)
		if got := w.Check().Level; got != c.want {
			t.Errorf("avail %d: level %v, want %v", c.avail, got, c.want)
		}
	}
}

func TestUnflushedCountsAsUsed(t *testing.T) {
	d := &fakeDisk{avail: 20 << 20}
	w, err := New(Config{Dir: t.TempDir(), ReserveBytes: 10 << 20, FloorBytes: 5 << 20, Statfs: d.statfs, Unflushed: func() int64 { return 12 << 20 }})
	if err != nil {
		t.Fatal(err)
	}
	if st := w.Check(); st.Level != Low || st.FreeBytes != 8<<20 {
		t.Fatalf("state %+v, want Low with 8 MiB free", st)
	}
}

func TestBallastReleasedWhenCriticalAndMadeAgain(t *testing.T) {
	w, d, _, log := newTestWatch(t, 50<<20)
	if st := w.State(); st.BallastBytes != 2<<20 || ballastSize(d.ballast) != 2<<20 {
		t.Fatalf("ballast not made: state %+v, file %d", st, ballastSize(d.ballast))
	}
	d.set(6 << 20) // 4 MiB free with the ballast: Critical
	st := w.Check()
	if st.BallastBytes != 0 || ballastSize(d.ballast) != 0 {
		t.Fatalf("ballast kept on a critical disk: %+v", st)
	}
	if st.Level != Low || st.FreeBytes != 6<<20 {
		t.Fatalf("after releasing the ballast: %+v, want Low with 6 MiB", st)
	}
	if !strings.Contains(log.String(), "deleted the ballast") {
		t.Fatalf("release not logged:\n%s", log)
	}
	// Not made again until free minus the ballast stays above the reserve.
	d.set(11 << 20)
	if st := w.Maintain(); st.BallastBytes != 0 {
		t.Fatalf("ballast made again with too little room: %+v", st)
	}
	d.set(12 << 20)
	if st := w.Maintain(); st.BallastBytes != 2<<20 || st.Level != OK || ballastSize(d.ballast) != 2<<20 {
		t.Fatalf("ballast not made again: %+v", st)
	}
	if _, err := os.Stat(d.ballast + ".tmp"); !os.IsNotExist(err) {
		t.Fatalf("temporary ballast left behind: %v", err)
	}
}

// A peer on a full disk, checked on every write: one log line a minute,
// whatever the rate of checks, and one when space returns.
func TestLoggedOnceAMinute(t *testing.T) {
	w, d, c, log := newTestWatch(t, 50<<20)
	lines := func() int { return strings.Count(log.String(), "disk space") }
	d.set(11 << 20) // Low
	for range 10_000 {
		w.Check()
		c.t = c.t.Add(time.Millisecond) // 10 s in all
	}
	if n := lines(); n != 1 {
		t.Fatalf("%d lines in 10 s of checks, want 1:\n%s", n, log)
	}
	for range 60 {
		w.Check()
		c.t = c.t.Add(time.Second)
	}
	if n := lines(); n != 2 {
		t.Fatalf("%d lines after 70 s, want 2:\n%s", n, log)
	}
	// Flapping at the threshold is not logged each time.
	for i := range 1000 {
		d.set(int64(11+2*(i%2)) << 20)
		w.Check()
	}
	if n := lines(); n != 2 {
		t.Fatalf("flapping logged %d lines, want 2 in all:\n%s", n, log)
	}
	d.set(50 << 20)
	w.Check()
	c.t = c.t.Add(time.Minute)
	w.Check()
	if n := lines(); n != 3 || !strings.Contains(log.String(), "disk space ok") || !strings.Contains(log.String(), "changes_not_logged") {
		t.Fatalf("recovery not logged once:\n%s", log)
	}
	for range 100 {
		c.t = c.t.Add(time.Minute)
		w.Check()
	}
	if n := lines(); n != 3 {
		t.Fatalf("an OK disk logged %d lines, want none more:\n%s", n-3, log)
	}
}

func TestBadConfig(t *testing.T) {
	if _, err := New(Config{Dir: t.TempDir(), ReserveBytes: 1, FloorBytes: 2}); err == nil {
		t.Fatal("floor above reserve accepted")
	}
	if _, err := New(Config{Dir: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Fatal("a directory that does not exist was accepted")
	}
}

// The real statfs and a real ballast on the test's file system.
func TestRealFileSystem(t *testing.T) {
	dir := t.TempDir()
	w, err := New(Config{Dir: dir, ReserveBytes: 1 << 20, FloorBytes: 1 << 19, BallastPath: filepath.Join(dir, "ballast"), BallastBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	st := w.State()
	if st.TotalBytes <= 0 || st.FreeBytes <= 0 || st.BallastBytes != 1<<20 {
		t.Fatalf("state %+v", st)
	}
	fi, err := os.Stat(filepath.Join(dir, "ballast"))
	if err != nil || fi.Size() != 1<<20 {
		t.Fatalf("ballast: %v %v", fi, err)
	}
}

func BenchmarkCheck(b *testing.B) {
	w, err := New(Config{Dir: b.TempDir(), ReserveBytes: 1 << 20, FloorBytes: 1 << 19})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		w.Check()
	}
}

// A database opened read-only takes no write whatever the free space: the
// level stays Critical, the log says a restart is needed (and, once there
// is room, that a restart now suffices), and the ballast is neither
// deleted nor made over and over.
func TestReadOnlyStaysCritical(t *testing.T) {
	w, d, c, log := newTestWatch(t, 50<<20)
	w.SetReadOnly()
	st := w.Check()
	if !st.ReadOnly || st.Level != Critical || st.BallastBytes != 2<<20 || ballastSize(d.ballast) != 2<<20 {
		t.Fatalf("read-only with room: %+v", st)
	}
	c.t = c.t.Add(time.Minute)
	w.Maintain()
	if !strings.Contains(log.String(), "open read-only") || !strings.Contains(log.String(), "restart the peer to accept") {
		t.Fatalf("read-only with room not logged:\n%s", log)
	}
	d.set(3 << 20) // critical: the ballast goes, as always
	c.t = c.t.Add(time.Minute)
	if st := w.Maintain(); st.Level != Critical || st.BallastBytes != 0 {
		t.Fatalf("read-only on a full disk: %+v", st)
	}
	if !strings.Contains(log.String(), "free space, then restart the peer") {
		t.Fatalf("read-only on a full disk not logged:\n%s", log)
	}
	d.set(50 << 20)
	for range 3 {
		w.Maintain()
	}
	if st := w.State(); st.Level != Critical || st.BallastBytes != 2<<20 {
		t.Fatalf("read-only once space returned: %+v", st)
	}
}
