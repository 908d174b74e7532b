package store

import (
	"errors"
	"log/slog"
	"strings"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/credmesh/credmesh/chain/store/diskspace"
	"github.com/credmesh/credmesh/chain/store/storetest"
)

// Tables may not take the last keep bytes: their writes fail as ENOSPC
// (which Pebble survives: the flush or compaction is retried) before the
// disk is full, so that the MANIFEST edit after a table, and the WAL, which
// Pebble cannot survive failing, always have that room.
func TestTablesLeaveTheReserve(t *testing.T) {
	const keep = 1 << 20
	disk := storetest.NewDisk(vfs.NewMem(), keep+100<<10)
	w, err := diskspace.New(diskspace.Config{Dir: "/", ReserveBytes: 8 << 20, Statfs: disk.Statfs, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	fs := diskFS(disk.FS(), w, nil, func() int64 { return keep })
	write := func(name string, n int) error {
		f, err := fs.Create(name, vfs.WriteCategoryUnspecified)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.Write(make([]byte, n))
		return err
	}
	if err := write("000001.sst", 64<<10); err != nil {
		t.Fatalf("a table that leaves the reserve: %v", err)
	}
	err = write("000002.sst", 64<<10)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "kept for the database's log and manifest") {
		t.Fatalf("a table that would take the reserve: %v", err)
	}
	for _, name := range []string{"MANIFEST-000003", "000004.log", "OPTIONS-000005"} {
		if err := write(name, 64<<10); err != nil {
			t.Fatalf("%s in the reserve: %v", name, err)
		}
	}
	// Below the reserve not even an empty table is created.
	if _, err := fs.Create("000006.sst", vfs.WriteCategoryUnspecified); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("creating a table below the reserve: %v", err)
	}
	if n := disk.Refused(); n != 0 {
		t.Fatalf("%d writes reached the disk and failed there", n)
	}
}
