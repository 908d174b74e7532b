package store

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/credmesh/credmesh/chain/store/diskspace"
)

// diskFS is the file system the database and the pending log write
// through when the disk is watched. Three things in it keep a nearly full
// disk from reaching Pebble as ENOSPC where Pebble cannot take it:
//
//   - Pebble preallocates each new WAL file at 110% of the memtable size
//     (35 MiB here), which on a small disk takes all the space at once,
//     while statfs said there was room a moment before. A preallocation
//     is skipped unless the disk stays above the reserve after it; it only
//     saves block allocations.
//   - The tables of flushes and compactions may not take the last
//     keep() bytes (dbReserve): a table write that would fails as ENOSPC,
//     which Pebble survives (the flush or compaction is retried), while
//     the MANIFEST edit that follows a table, and the WAL, keep their
//     room; Pebble treats a failed MANIFEST or WAL write as fatal. Without
//     this a flush could fill the disk to the last byte and the MANIFEST
//     write after it panic.
//   - Should a write meet ENOSPC anyway (the disk filled by something
//     else), vfs.OnDiskFull calls us before retrying it once: we delete
//     the ballast, CockroachDB's way, so the retry has room.
//
// It also paces Pebble's retries after a flush or compaction failed for
// lack of space: creating a table file calls pace first (see
// backoffOnNoSpace).
func diskFS(inner vfs.FS, w *diskspace.Watch, pace func(), keep func() int64) vfs.FS {
	return vfs.OnDiskFull(boundedPreallocFS{FS: inner, w: w, pace: pace, keep: keep}, func() { w.ReleaseBallast("a write found the disk full") })
}

type boundedPreallocFS struct {
	vfs.FS
	w    *diskspace.Watch
	pace func()       // called before a table file is created
	keep func() int64 // free bytes tables must leave (nil: none)
}

// isTable reports whether name is a file of table data (an sstable or a
// blob file), which flushes and compactions write.
func isTable(name string) bool {
	return strings.HasSuffix(name, ".sst") || strings.HasSuffix(name, ".blob")
}

// errKeptForDB is the error of a table write refused because it would take
// the room kept for the WAL and the MANIFEST. It unwraps to ENOSPC: for
// Pebble (and vfs.OnDiskFull) it is a full disk.
type errKeptForDB struct{ keep int64 }

func (e errKeptForDB) Error() string {
	return fmt.Sprintf("no space left on device: the last %s of free space are kept for the database's log and manifest", mib(e.keep))
}

func (errKeptForDB) Unwrap() error { return syscall.ENOSPC }

// tableRoom returns an error if writing n more bytes of a table would
// leave less than keep() free.
func (fs boundedPreallocFS) tableRoom(name string, n int) error {
	if fs.keep == nil {
		return nil
	}
	if keep := fs.keep(); !fs.w.Fits(int64(n), keep) {
		return &os.PathError{Op: "write", Path: name, Err: errKeptForDB{keep}}
	}
	return nil
}

func (fs boundedPreallocFS) wrap(f vfs.File, err error, name string, table bool) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return boundedPreallocFile{File: f, fs: fs, name: name, table: table}, nil
}

func (fs boundedPreallocFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	table := isTable(name)
	if table {
		if fs.pace != nil {
			fs.pace()
		}
		if err := fs.tableRoom(name, 0); err != nil {
			return nil, err
		}
	}
	f, err := fs.FS.Create(name, c)
	return fs.wrap(f, err, name, table)
}

func (fs boundedPreallocFS) OpenReadWrite(name string, c vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := fs.FS.OpenReadWrite(name, c, opts...)
	return fs.wrap(f, err, name, isTable(name))
}

func (fs boundedPreallocFS) ReuseForWrite(oldname, newname string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, c)
	return fs.wrap(f, err, newname, false)
}

type boundedPreallocFile struct {
	vfs.File
	fs    boundedPreallocFS
	name  string
	table bool // writes must leave fs.keep() free
}

func (f boundedPreallocFile) Write(p []byte) (int, error) {
	if f.table {
		if err := f.fs.tableRoom(f.name, len(p)); err != nil {
			return 0, err
		}
	}
	return f.File.Write(p)
}

func (f boundedPreallocFile) WriteAt(p []byte, off int64) (int, error) {
	if f.table {
		if err := f.fs.tableRoom(f.name, len(p)); err != nil {
			return 0, err
		}
	}
	return f.File.WriteAt(p, off)
}

func (f boundedPreallocFile) Preallocate(offset, length int64) error {
	// Room reads statfs only: asking Pebble for its metrics here, inside
	// its WAL write, would deadlock.
	if !f.fs.w.Room(length) {
		return nil // a hint: Pebble writes without it
	}
	return f.File.Preallocate(offset, length)
}
