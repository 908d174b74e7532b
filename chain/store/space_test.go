package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/chain/store/diskspace"
)

// A store whose file system reports the free space the test sets: each
// level refuses what it should with ErrDiskFull, writes nothing then, and
// everything works again once space returns.
func TestDiskSpaceLevels(t *testing.T) {
	dir := t.TempDir()
	var avail atomic.Int64
	avail.Store(1 << 30)
	s, err := store.Open(dir, store.Options{
		MinFreeBytes: 64 << 20, ReplicaMinFreeBytes: 32 << 20, BallastBytes: 1 << 20,
		Statfs: func(string) (diskspace.Usage, error) {
			return diskspace.Usage{AvailBytes: uint64(avail.Load()), TotalBytes: 2 << 30}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fi, err := os.Stat(filepath.Join(dir, store.BallastFile)); err != nil || fi.Size() != 1<<20 {
		t.Fatalf("ballast: %v %v", fi, err)
	}
	own := chaintest.Chain(0, 2, 2, 2)
	other := chaintest.Chain(1, 1, 1, 1)

	// Low: no new pending entries; our own sealing and others' blocks go on.
	avail.Store(40 << 20)
	if err := s.AddPending(0, own[0].Entries); !errors.Is(err, store.ErrDiskFull) {
		t.Fatalf("AddPending on a low disk: %v", err)
	}
	if p, _, _ := s.LoadPending(); len(p) != 0 {
		t.Fatalf("a refused AddPending wrote %d entries", len(p))
	}
	if err := s.AppendSealed(verify(t, own[0]), 0); err != nil {
		t.Fatalf("sealing on a low disk: %v", err)
	}
	if err := s.Append(verify(t, other[0])...); err != nil {
		t.Fatalf("another issuer's block on a low disk: %v", err)
	}
	if st, ok := s.Disk(); !ok || st.Level != diskspace.Low || st.FreeBytes > 40<<20 {
		t.Fatalf("disk state %+v %v", st, ok)
	}

	// Critical: others' blocks are refused too, and the ballast goes.
	avail.Store(20 << 20)
	vbs := verify(t, other...)
	if err := s.Append(vbs[1]); !errors.Is(err, store.ErrDiskFull) {
		t.Fatalf("another issuer's block on a critical disk: %v", err)
	}
	if h := s.Head(chaintest.Issuer(1)); h.Height != 1 {
		t.Fatalf("refused block stored: head %d", h.Height)
	}
	if _, err := os.Stat(filepath.Join(dir, store.BallastFile)); !os.IsNotExist(err) {
		t.Fatalf("ballast kept on a critical disk: %v", err)
	}
	ownVbs := verify(t, own...)
	if err := s.AppendSealed(ownVbs[1:2], 0); err != nil {
		t.Fatalf("sealing on a critical disk: %v", err)
	}

	// No room at all: even our own sealing is refused rather than reaching
	// Pebble, which would panic.
	avail.Store(1 << 19)
	if err := s.AppendSealed(ownVbs[2:], 0); !errors.Is(err, store.ErrDiskFull) {
		t.Fatalf("sealing with no room: %v", err)
	}

	// Space returns: everything works, the ballast comes back.
	avail.Store(1 << 30)
	s.MaintainDisk()
	if err := s.AppendSealed(ownVbs[2:], 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(vbs[1:]...); err != nil {
		t.Fatal(err)
	}
	if err := s.AddPending(0, own[0].Entries); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, store.BallastFile)); err != nil || fi.Size() != 1<<20 {
		t.Fatalf("ballast not made again: %v %v", fi, err)
	}
	if st, _ := s.Disk(); st.Level != diskspace.OK || st.BallastBytes != 1<<20 {
		t.Fatalf("disk state after space returned: %+v", st)
	}
}

// A peer opened on a disk already too full: the ballast is deleted before
// Pebble opens.
func TestOpenOnFullDiskDeletesBallast(t *testing.T) {
	dir := t.TempDir()
	ballast := filepath.Join(dir, store.BallastFile)
	if err := os.WriteFile(ballast, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(dir, store.Options{
		MinFreeBytes: 64 << 20, ReplicaMinFreeBytes: 32 << 20, BallastBytes: 1 << 20,
		Statfs: func(string) (diskspace.Usage, error) {
			return diskspace.Usage{AvailBytes: 2 << 20, TotalBytes: 1 << 30}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(ballast); !os.IsNotExist(err) {
		t.Fatalf("ballast kept: %v", err)
	}
}

func BenchmarkDiskCheck(b *testing.B) {
	s, err := store.Open(b.TempDir(), store.Options{MinFreeBytes: 1 << 50, ReplicaMinFreeBytes: 1 << 49})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		s.Disk()
	}
}
