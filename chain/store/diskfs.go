package store

import (
	"strings"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/credmesh/credmesh/chain/store/diskspace"
)

// diskFS is the file system the database and the pending log write
// through when the disk is watched. Two things in it keep a nearly full
// disk from reaching Pebble as ENOSPC:
//
//   - Pebble preallocates each new WAL file at 110% of the memtable size
//     (35 MiB here), which on a small disk takes all the space at once,
//     while statfs said there was room a moment before. A preallocation
//     is skipped unless the disk stays above the reserve after it; it only
//     saves block allocations.
//   - Should a write meet ENOSPC anyway (the disk filled by something
//     else), vfs.OnDiskFull calls us before retrying it once: we delete
//     the ballast, CockroachDB's way, so the retry has room.
//
// It also paces Pebble's retries after a flush or compaction failed for
// lack of space: creating a table file calls pace first (see
// backoffOnNoSpace).
func diskFS(inner vfs.FS, w *diskspace.Watch, pace func()) vfs.FS {
	return vfs.OnDiskFull(boundedPreallocFS{FS: inner, w: w, pace: pace}, func() { w.ReleaseBallast("a write found the disk full") })
}

type boundedPreallocFS struct {
	vfs.FS
	w    *diskspace.Watch
	pace func() // called before a table file is created
}

func (fs boundedPreallocFS) wrap(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return boundedPreallocFile{File: f, w: fs.w}, nil
}

func (fs boundedPreallocFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	if fs.pace != nil && strings.HasSuffix(name, ".sst") {
		fs.pace()
	}
	return fs.wrap(fs.FS.Create(name, c))
}

func (fs boundedPreallocFS) OpenReadWrite(name string, c vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	return fs.wrap(fs.FS.OpenReadWrite(name, c, opts...))
}

func (fs boundedPreallocFS) ReuseForWrite(oldname, newname string, c vfs.DiskWriteCategory) (vfs.File, error) {
	return fs.wrap(fs.FS.ReuseForWrite(oldname, newname, c))
}

type boundedPreallocFile struct {
	vfs.File
	w *diskspace.Watch
}

func (f boundedPreallocFile) Preallocate(offset, length int64) error {
	// Room reads statfs only: asking Pebble for its metrics here, inside
	// its WAL write, would deadlock.
	if !f.w.Room(length) {
		return nil // a hint: Pebble writes without it
	}
	return f.File.Preallocate(offset, length)
}
