package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func entries(from, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, "entry %d", from+i)
	}
	return out
}

func reopen(t *testing.T, s *Store, dir string) *Store {
	t.Helper()
	if s != nil {
		s.Close()
	}
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPendingLogTornTailIsCutOff(t *testing.T) {
	dir := t.TempDir()
	s := reopen(t, nil, dir)
	if err := s.AddPending(0, entries(0, 3)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddPending(3, entries(3, 2)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// A crash in the middle of the second batch's write: half its bytes,
	// and the end of the log still recorded after the first batch.
	setLogEnd(t, dir, 3)
	seg := filepath.Join(dir, pendingDir, fmt.Sprintf("%020d.log", 0))
	data, _ := os.ReadFile(seg)
	os.WriteFile(seg, data[:len(data)-9], 0o600)

	s = reopen(t, nil, dir)
	p, next, err := s.LoadPending()
	if err != nil || len(p) != 4 || next != 4 {
		t.Fatalf("after a torn tail: %d entries, next %d, %v", len(p), next, err)
	}
	// The cut is permanent: new appends follow the good prefix only.
	if err := s.AddPending(4, entries(100, 1)); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, dir)
	defer s.Close()
	p, next, _ = s.LoadPending()
	if len(p) != 5 || next != 5 || !bytes.Equal(p[4].Entry, []byte("entry 100")) {
		t.Fatalf("after appending past the cut: %v", p)
	}
}

func TestPendingLogCorruptionBeforeTheTailIsAnError(t *testing.T) {
	dir := t.TempDir()
	s := reopen(t, nil, dir)
	s.AddPending(0, entries(0, 2))
	s.pool.cur.Close()
	s.pool.cur = nil
	s.pool.newSegment(2)
	s.AddPending(2, entries(2, 2))
	s.Close()
	seg := filepath.Join(dir, pendingDir, fmt.Sprintf("%020d.log", 0))
	data, _ := os.ReadFile(seg)
	data[20] ^= 0xff
	os.WriteFile(seg, data, 0o600)
	s = reopen(t, nil, dir)
	defer s.Close()
	if _, _, err := s.LoadPending(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a corrupt older segment: %v", err)
	}
}

func TestSealedSegmentsAreRemoved(t *testing.T) {
	dir := t.TempDir()
	s := reopen(t, nil, dir)
	defer s.Close()
	s.AddPending(0, entries(0, 4))
	if err := s.AppendSealed(nil, 4); err != nil {
		t.Fatal(err)
	}
	names, _ := os.ReadDir(filepath.Join(dir, pendingDir))
	if len(names) != 0 {
		t.Fatalf("segments left after sealing everything: %v", names)
	}
	s.AddPending(4, entries(4, 2))
	if err := s.AppendSealed(nil, 5); err != nil {
		t.Fatal(err)
	}
	p, next, _ := s.LoadPending()
	if len(p) != 1 || p[0].Seq != 5 || next != 6 {
		t.Fatalf("after sealing up to 5: %v next %d", p, next)
	}
}
