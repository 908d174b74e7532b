package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// damagedLog writes four batches of ten records into two segments,
// seg 0 = batches 0-9 and 10-19, seg 20 = batches 20-29 and 30-39. With
// recorded, the log's end (40) is recorded in the database, as it is after
// a clean stop; without, the recorded end is 30, as if the peer crashed
// while recording the end of the last batch. It returns the two segment
// paths and the start offset of every frame in each, plus the file's size.
func damagedLog(t *testing.T, dir string, recorded bool) (paths [2]string, offs [2][]int64) {
	t.Helper()
	s := reopen(t, nil, dir)
	s.pool.maxSize = 500 // two batches per segment
	for b := range 4 {
		if err := s.AddPending(uint64(b*10), entries(b*10, 10)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if !recorded {
		setLogEnd(t, dir, 30)
	}
	for i, first := range []uint64{0, 20} {
		paths[i] = filepath.Join(dir, pendingDir, fmt.Sprintf("%020d.log", first))
		data, err := os.ReadFile(paths[i])
		if err != nil {
			t.Fatal(err)
		}
		for off := int64(0); off < int64(len(data)); {
			f, ok := parseFrame(data, off, 0, 1<<40)
			if !ok {
				t.Fatalf("%s: no frame at %d", paths[i], off)
			}
			offs[i] = append(offs[i], off)
			off = f.end
		}
		if len(offs[i]) != 20 {
			t.Fatalf("%s holds %d frames, want 20", paths[i], len(offs[i]))
		}
		offs[i] = append(offs[i], int64(len(data)))
	}
	return paths, offs
}

// setLogEnd overwrites the recorded end of the pending log.
func setLogEnd(t *testing.T, dir string, end uint64) {
	t.Helper()
	s := reopen(t, nil, dir)
	if err := s.db.Set(loggedKey, binary.BigEndian.AppendUint64(nil, end), nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func flip(t *testing.T, path string, off int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[off] ^= 0x10
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func zero(t *testing.T, path string, from, to int64) {
	t.Helper()
	data, _ := os.ReadFile(path)
	clear(data[from:to])
	os.WriteFile(path, data, 0o600)
}

func TestPendingLogDamage(t *testing.T) {
	type damage struct {
		seg    int // which segment the error must name
		frame  int // at the start of which frame of it (20: its end)
		frames uint64
	}
	cases := []struct {
		name     string
		recorded bool
		harm     func(t *testing.T, p [2]string, o [2][]int64)
		want     *damage // nil: loads
		loads    int     // records loaded when want is nil
	}{
		{"a bit flip in the middle of a segment before the last", false,
			func(t *testing.T, p [2]string, o [2][]int64) { flip(t, p[0], o[0][5]+10) }, &damage{0, 5, 1}, 0},
		{"a bit flip in the length of a frame", false,
			func(t *testing.T, p [2]string, o [2][]int64) { flip(t, p[0], o[0][7]+2) }, &damage{0, 7, 1}, 0},
		{"a bit flip in the last frame of a segment before the last", false,
			func(t *testing.T, p [2]string, o [2][]int64) { flip(t, p[0], o[0][19]+12) }, &damage{0, 19, 1}, 0},
		{"a bit flip in a batch of the last segment that another batch follows", false,
			func(t *testing.T, p [2]string, o [2][]int64) { flip(t, p[1], o[1][5]+30) }, &damage{1, 5, 1}, 0},
		{"bit flips at several offsets", false,
			func(t *testing.T, p [2]string, o [2][]int64) {
				flip(t, p[0], o[0][3]+1)
				flip(t, p[0], o[0][12]+20)
				flip(t, p[1], o[1][7]+5)
			}, &damage{0, 3, 3}, 0},
		{"a bit flip in the last batch before its end was recorded: undetectable, cut as a torn tail", false,
			func(t *testing.T, p [2]string, o [2][]int64) { flip(t, p[1], o[1][15]+9) }, nil, 35},
		{"a bit flip in the last batch after its end was recorded", true,
			func(t *testing.T, p [2]string, o [2][]int64) { flip(t, p[1], o[1][15]+9) }, &damage{1, 15, 1}, 0},
		{"a segment before the last cut at a frame boundary", false,
			func(t *testing.T, p [2]string, o [2][]int64) { os.Truncate(p[0], o[0][15]) }, &damage{0, 15, 5}, 0},
		{"a segment before the last cut in the middle of a frame", false,
			func(t *testing.T, p [2]string, o [2][]int64) { os.Truncate(p[0], o[0][15]+5) }, &damage{0, 15, 5}, 0},
		{"the last segment cut at a frame boundary in the last batch before its end was recorded: undetectable", false,
			func(t *testing.T, p [2]string, o [2][]int64) { os.Truncate(p[1], o[1][15]) }, nil, 35},
		{"the last segment cut at a frame boundary after the end was recorded", true,
			func(t *testing.T, p [2]string, o [2][]int64) { os.Truncate(p[1], o[1][15]) }, &damage{1, 15, 5}, 0},
		{"the last segment cut in the middle of a frame (a torn tail)", false,
			func(t *testing.T, p [2]string, o [2][]int64) { os.Truncate(p[1], o[1][15]+7) }, nil, 35},
		{"the last segment cut in the middle of a frame after the end was recorded", true,
			func(t *testing.T, p [2]string, o [2][]int64) { os.Truncate(p[1], o[1][15]+7) }, &damage{1, 15, 5}, 0},
		{"the last segment cut inside the batch before the last", true,
			func(t *testing.T, p [2]string, o [2][]int64) { os.Truncate(p[1], o[1][5]) }, &damage{1, 5, 15}, 0},
		{"the last segment deleted", true,
			func(t *testing.T, p [2]string, o [2][]int64) { os.Remove(p[1]) }, &damage{0, 20, 20}, 0},
		{"the first segment deleted", false,
			func(t *testing.T, p [2]string, o [2][]int64) { os.Remove(p[0]) }, &damage{1, 0, 20}, 0},
		{"zeros over the end of the last batch (a torn write)", false,
			func(t *testing.T, p [2]string, o [2][]int64) { zero(t, p[1], o[1][12], o[1][20]) }, nil, 32},
		{"zeros in the last batch, later pages of it written (a torn write)", false,
			func(t *testing.T, p [2]string, o [2][]int64) { zero(t, p[1], o[1][12], o[1][16]) }, nil, 32},
		{"zeros in the batch before the last", false,
			func(t *testing.T, p [2]string, o [2][]int64) { zero(t, p[1], o[1][2], o[1][4]) }, &damage{1, 2, 2}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			paths, offs := damagedLog(t, dir, c.recorded)
			c.harm(t, paths, offs)
			s := reopen(t, nil, dir)
			defer func() { s.Close() }()
			p, next, err := s.LoadPending()
			if c.want == nil {
				if err != nil || len(p) != c.loads || next != uint64(c.loads) {
					t.Fatalf("loaded %d records, next %d, %v; want %d", len(p), next, err, c.loads)
				}
				for i, r := range p {
					if r.Seq != uint64(i) || string(r.Entry) != fmt.Sprintf("entry %d", i) {
						t.Fatalf("record %d: %d %q", i, r.Seq, r.Entry)
					}
				}
				// The cut is durable: the log now loads clean and appends
				// follow it.
				if err := s.AddPending(next, entries(100, 1)); err != nil {
					t.Fatal(err)
				}
				s = reopen(t, s, dir)
				if p, _, err := s.LoadPending(); err != nil || len(p) != c.loads+1 {
					t.Fatalf("after appending past the cut: %d records, %v", len(p), err)
				}
				return
			}
			var de *PendingDamageError
			if !errors.As(err, &de) || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("want a *PendingDamageError wrapping ErrCorrupt, got %v (%d records)", err, len(p))
			}
			if de.File != paths[c.want.seg] || de.Offset != offs[c.want.seg][c.want.frame] || de.Frames != c.want.frames {
				t.Fatalf("got %s offset %d frames %d; want %s offset %d frames %d", de.File, de.Offset, de.Frames,
					paths[c.want.seg], offs[c.want.seg][c.want.frame], c.want.frames)
			}
			msg := err.Error()
			for _, w := range []string{de.File, fmt.Sprintf("offset %d", de.Offset), fmt.Sprintf("%d acknowledged records", de.Frames)} {
				if !bytes.Contains([]byte(msg), []byte(w)) {
					t.Fatalf("message %q does not say %q", msg, w)
				}
			}
			// Refusing changes nothing: the same error again.
			if _, _, err2 := s.LoadPending(); err2 == nil || err2.Error() != msg {
				t.Fatalf("second load: %v", err2)
			}
		})
	}
}

func TestPendingDamageBelowTheSealedMarkIsHarmless(t *testing.T) {
	dir := t.TempDir()
	paths, offs := damagedLog(t, dir, false)
	s := reopen(t, nil, dir)
	if _, _, err := s.LoadPending(); err != nil {
		t.Fatal(err)
	}
	// Seal 0-14: the first segment stays (it holds 15-19).
	if err := s.AppendSealed(nil, 15); err != nil {
		t.Fatal(err)
	}
	s.Close()
	flip(t, paths[0], offs[0][4]+10)
	s = reopen(t, nil, dir)
	defer s.Close()
	p, next, err := s.LoadPending()
	if err != nil || len(p) != 25 || p[0].Seq != 15 || next != 40 {
		t.Fatalf("%d records, next %d, %v", len(p), next, err)
	}
}

// appendV1 writes frames in the layout logs had before batch bounds.
func appendV1(buf []byte, first uint64, entries [][]byte) []byte {
	for i, e := range entries {
		body := binary.BigEndian.AppendUint64(nil, first+uint64(i))
		body = append(body, e...)
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(body)))
		buf = binary.BigEndian.AppendUint32(buf, crc32.Checksum(body, castagnoli))
		buf = append(buf, body...)
	}
	return buf
}

func TestPendingLogOfTheOldFormatLoads(t *testing.T) {
	dir := t.TempDir()
	reopen(t, nil, dir).Close()
	seg := filepath.Join(dir, pendingDir, fmt.Sprintf("%020d.log", 0))
	old := appendV1(nil, 0, entries(0, 5))
	if err := os.WriteFile(seg, append(old, 1, 2, 3), 0o600); err != nil { // and a torn tail
		t.Fatal(err)
	}
	s := reopen(t, nil, dir)
	p, next, err := s.LoadPending()
	if err != nil || len(p) != 5 || next != 5 || string(p[4].Entry) != "entry 4" {
		t.Fatalf("old log: %d records, next %d, %v", len(p), next, err)
	}
	// New frames follow the old ones in the same segment.
	if err := s.AddPending(5, entries(5, 3)); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, dir)
	defer s.Close()
	if p, next, err = s.LoadPending(); err != nil || len(p) != 8 || next != 8 {
		t.Fatalf("mixed log: %d records, next %d, %v", len(p), next, err)
	}
}

func TestSetAsidePending(t *testing.T) {
	dir := t.TempDir()
	paths, offs := damagedLog(t, dir, true)
	flip(t, paths[0], offs[0][3]+10)
	flip(t, paths[1], offs[1][5]+10)

	// Not while the store is open.
	s := reopen(t, nil, dir)
	if _, err := SetAsidePending(dir, Options{}, time.Now()); !errors.Is(err, ErrInUse) {
		t.Fatalf("set aside while open: %v", err)
	}
	s.Close()

	now := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	res, err := SetAsidePending(dir, Options{}, now)
	if err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(dir, "pending.damaged-20261201T200000Z")
	if res.Damage == nil || res.Damage.Frames != 2 || res.Kept != 38 || res.MovedTo != moved || res.Segments != 2 {
		t.Fatalf("set aside: %+v %+v", res, res.Damage)
	}
	for _, p := range paths {
		if _, err := os.Stat(filepath.Join(moved, filepath.Base(p))); err != nil {
			t.Fatalf("damaged segment not kept: %v", err)
		}
	}

	s = reopen(t, nil, dir)
	p, next, err := s.LoadPending()
	if err != nil || len(p) != 38 || next != 38 {
		t.Fatalf("after setting aside: %d records, next %d, %v", len(p), next, err)
	}
	var want []string
	for i := range 40 {
		if i != 3 && i != 25 {
			want = append(want, fmt.Sprintf("entry %d", i))
		}
	}
	for i, r := range p {
		if r.Seq != uint64(i) || string(r.Entry) != want[i] {
			t.Fatalf("record %d: %d %q, want %q", i, r.Seq, r.Entry, want[i])
		}
	}
	loss, err := s.PendingLost()
	if err != nil || loss.Records != 2 || !loss.At.Equal(now) || loss.Dir != moved {
		t.Fatalf("loss %+v %v", loss, err)
	}
	if err := s.AddPending(next, entries(100, 2)); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, dir)
	if p, _, err := s.LoadPending(); err != nil || len(p) != 40 {
		t.Fatalf("after appending: %d records, %v", len(p), err)
	}
	s.Close()

	// An undamaged log is left alone.
	res, err = SetAsidePending(dir, Options{}, now.Add(time.Hour))
	if err != nil || res.Damage != nil {
		t.Fatalf("set aside of a good log: %+v %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pending.damaged-20261201T210000Z")); !os.IsNotExist(err) {
		t.Fatalf("a good log was moved: %v", err)
	}
}

func TestPendingLogEndIsRecordedWhileOpen(t *testing.T) {
	dir := t.TempDir()
	s := reopen(t, nil, dir)
	defer s.Close()
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrInUse) {
		t.Fatalf("a second open: %v", err)
	}
	if err := s.AddPending(0, entries(0, 7)); err != nil {
		t.Fatal(err)
	}
	// The writer runs on its own; wait for it without sleeping blind.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, known, err := s.pendingMarks()
		if err != nil {
			t.Fatal(err)
		}
		if known == 7 {
			break
		}
		if known > 7 || time.Now().After(deadline) {
			t.Fatalf("recorded end %d, want 7", known)
		}
		time.Sleep(time.Millisecond)
	}
}
