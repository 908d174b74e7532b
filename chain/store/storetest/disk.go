package storetest

import (
	"os"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/credmesh/credmesh/chain/store/diskspace"
)

// Disk is a fake disk for tests of the store on a full disk: a vfs.FS over
// another one (the operating system's, so that the store's ballast and its
// directory are real) with a budget of free bytes the test sets. Every
// write takes its length from the budget; one that does not fit writes
// nothing and fails with ENOSPC, as on a full disk, and is counted.
// Removing a file, or renaming another over it, gives its size back.
// Statfs reports the budget, for store.Options.Statfs. Preallocation is
// not modelled (it succeeds and takes nothing).
type Disk struct {
	inner      vfs.FS
	avail      atomic.Int64
	refused    atomic.Int64
	tableBytes atomic.Int64
}

// NewDisk returns a disk over inner with avail bytes free.
func NewDisk(inner vfs.FS, avail int64) *Disk {
	d := &Disk{inner: inner}
	d.avail.Store(avail)
	return d
}

// FS is the file system to give store.Options.FS.
func (d *Disk) FS() vfs.FS { return diskFS{FS: d.inner, d: d} }

// Statfs is the free-space hook to give store.Options.Statfs.
func (d *Disk) Statfs(string) (diskspace.Usage, error) {
	return diskspace.Usage{AvailBytes: uint64(max(d.avail.Load(), 0)), TotalBytes: 1 << 40}, nil
}

// SetAvail sets the free bytes.
func (d *Disk) SetAvail(n int64) { d.avail.Store(n) }

// Avail returns the free bytes.
func (d *Disk) Avail() int64 { return d.avail.Load() }

// Refused returns how many writes failed with ENOSPC.
func (d *Disk) Refused() int64 { return d.refused.Load() }

// TableBytes returns the bytes written to sstables (.sst files).
func (d *Disk) TableBytes() int64 { return d.tableBytes.Load() }

// take takes n bytes from the budget, or reports that they do not fit.
func (d *Disk) take(n int64) bool {
	for {
		a := d.avail.Load()
		if a < n {
			d.refused.Add(1)
			return false
		}
		if d.avail.CompareAndSwap(a, a-n) {
			return true
		}
	}
}

// sizeOf returns the size of the file name, 0 if there is none.
func (d *Disk) sizeOf(name string) int64 {
	fi, err := d.inner.Stat(name)
	if err != nil || fi.IsDir() {
		return 0
	}
	return fi.Size()
}

type diskFS struct {
	vfs.FS
	d *Disk
}

func (fs diskFS) wrap(f vfs.File, err error, name string) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return &diskFile{File: f, d: fs.d, name: name, table: strings.HasSuffix(name, ".sst")}, nil
}

func (fs diskFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	n := fs.d.sizeOf(name)
	f, err := fs.FS.Create(name, c)
	if err == nil {
		fs.d.avail.Add(n) // truncated
	}
	return fs.wrap(f, err, name)
}

func (fs diskFS) OpenReadWrite(name string, c vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := fs.FS.OpenReadWrite(name, c, opts...)
	return fs.wrap(f, err, name)
}

func (fs diskFS) ReuseForWrite(oldname, newname string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, c)
	return fs.wrap(f, err, newname)
}

func (fs diskFS) Remove(name string) error {
	n := fs.d.sizeOf(name)
	err := fs.FS.Remove(name)
	if err == nil {
		fs.d.avail.Add(n)
	}
	return err
}

func (fs diskFS) RemoveAll(name string) error {
	var n int64
	if names, err := fs.FS.List(name); err == nil {
		for _, e := range names {
			n += fs.d.sizeOf(fs.FS.PathJoin(name, e))
		}
	}
	err := fs.FS.RemoveAll(name)
	if err == nil {
		fs.d.avail.Add(n)
	}
	return err
}

func (fs diskFS) Rename(oldname, newname string) error {
	n := fs.d.sizeOf(newname)
	err := fs.FS.Rename(oldname, newname)
	if err == nil {
		fs.d.avail.Add(n)
	}
	return err
}

type diskFile struct {
	vfs.File
	d     *Disk
	name  string
	table bool
}

func (f *diskFile) noSpace() error {
	return &os.PathError{Op: "write", Path: f.name, Err: syscall.ENOSPC}
}

func (f *diskFile) Write(p []byte) (int, error) {
	if !f.d.take(int64(len(p))) {
		return 0, f.noSpace()
	}
	n, err := f.File.Write(p)
	if f.table {
		f.d.tableBytes.Add(int64(n))
	}
	return n, err
}

func (f *diskFile) WriteAt(p []byte, off int64) (int, error) {
	grow := int64(len(p))
	if fi, err := f.File.Stat(); err == nil {
		grow = max(off+int64(len(p))-fi.Size(), 0)
	}
	if !f.d.take(grow) {
		return 0, f.noSpace()
	}
	n, err := f.File.WriteAt(p, off)
	if f.table {
		f.d.tableBytes.Add(int64(n))
	}
	return n, err
}
