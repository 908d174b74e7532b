package store_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// scaleSamples writes TestScale's samples, when SCALE_SAMPLES_DIR names a
// directory, to scale-samples.csv in it: every fiftieth of the way, the
// records stored, the seconds since the start, the ingest rate since the
// sample before, the process's RSS, the disk used against the entries'
// bytes, and the latency of the lookups with proof made during ingest since
// the sample before (p50, p99, in µs).
type scaleSamples struct {
	t         *testing.T
	f         *os.File
	w         *csv.Writer
	every     int
	start     time.Time
	lastAt    time.Time
	lastN     int
	lastLooks int
}

var scaleSampleHeader = []string{"records", "seconds", "records_per_s", "rss_mib", "disk_mib", "disk_ratio", "lookups", "lookup_p50_us", "lookup_p99_us"}

func newScaleSamples(t *testing.T, total int) *scaleSamples {
	dir := os.Getenv("SCALE_SAMPLES_DIR")
	now := time.Now()
	s := &scaleSamples{t: t, every: max(total/50, 1), start: now, lastAt: now}
	if dir == "" {
		return s
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "scale-samples.csv"))
	if err != nil {
		t.Fatal(err)
	}
	s.f, s.w = f, csv.NewWriter(f)
	s.write(scaleSampleHeader)
	return s
}

// maybe writes a sample if n crossed a fiftieth of the way.
func (s *scaleSamples) maybe(n int, rawBytes int64, dir string, r *scaleReader) {
	if s.w == nil || n/s.every == s.lastN/s.every {
		return
	}
	now := time.Now()
	disk := diskBytes(s.t, dir)
	looks := r.count()
	us := func(q float64) string {
		if looks == s.lastLooks {
			return ""
		}
		return strconv.FormatFloat(float64(r.quantileSince(s.lastLooks, q))/float64(time.Microsecond), 'f', 1, 64)
	}
	s.write([]string{
		strconv.Itoa(n),
		strconv.FormatFloat(now.Sub(s.start).Seconds(), 'f', 2, 64),
		strconv.FormatFloat(float64(n-s.lastN)/now.Sub(s.lastAt).Seconds(), 'f', 0, 64),
		strconv.Itoa(rssMiB("VmRSS")),
		strconv.FormatFloat(float64(disk)/(1<<20), 'f', 1, 64),
		strconv.FormatFloat(float64(disk)/float64(rawBytes), 'f', 3, 64),
		strconv.Itoa(looks - s.lastLooks),
		us(0.5), us(0.99),
	})
	s.lastAt, s.lastN, s.lastLooks = now, n, looks
}

func (s *scaleSamples) write(rec []string) {
	if err := s.w.Write(rec); err != nil {
		s.t.Fatal(err)
	}
	s.w.Flush()
	if err := s.w.Error(); err != nil {
		s.t.Fatal(err)
	}
}

func (s *scaleSamples) close() {
	if s.f != nil {
		s.f.Close()
	}
}
