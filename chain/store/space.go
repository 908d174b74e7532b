package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain/store/diskspace"
)

// ErrDiskFull is wrapped by every write refused for lack of disk space. The
// write did not happen and nothing else changed; it may be retried once
// space returns.
var ErrDiskFull = errors.New("store: not enough free disk space")

// ErrReadOnly is wrapped by every write refused because the database is
// open read-only: the disk had no room for Pebble to open it for writing
// when the store was opened (see openDB). It wraps ErrDiskFull, so every
// caller that handles a full disk (HTTP 507, a block synced later) handles
// it; unlike a full disk it lasts until the store is opened again.
var ErrReadOnly = fmt.Errorf("%w: the database is open read-only, because the disk had no room for it when the peer started; free space, then restart the peer", ErrDiskFull)

// BallastFile is the name of the ballast in the database directory.
const BallastFile = "ballast"

// onlyIfNoRoom is the refuseAt of the writes that must go on at every
// level (our own sealing, evidence): only the hard margin stops them.
const onlyIfNoRoom = diskspace.Critical + 1

// hardMarginBytes is kept free under any write, even the builder's own
// sealing: Pebble panics when its WAL or MANIFEST cannot be written. The
// tables of flushes and compactions may not take it either (diskfs.go),
// so it is the room of exactly those writes; with manifestBytesPerTable for
// each table it is dbReserve.
const hardMarginBytes = 1 << 20

// manifestBytesPerTable bounds what one table adds to the MANIFEST
// snapshot Pebble writes on its first change after opening (and whenever
// it rotates the MANIFEST): its number, size, bounds and sequence numbers.
// Our keys are at most 45 bytes, so an entry is about 150 bytes.
const manifestBytesPerTable = 256

// dbReserve is the free space kept for the writes Pebble cannot survive
// failing: hardMarginBytes, and room for a MANIFEST snapshot of every
// table.
func (s *Store) dbReserve() int64 {
	return hardMarginBytes + manifestBytesPerTable*s.tables.Load()
}

// Which writes each level still allows (see package diskspace):
//
//	OK        everything
//	Low       no new pending entries or private records; our own sealing
//	          and other issuers' blocks go on
//	Critical  our own sealing only, and evidence; the ballast is deleted
//
// Every write is also refused if it would leave less than dbReserve of
// free space once flushed (about twice its size: the WAL, then the table).
// Every write is refused with ErrReadOnly while the database is open
// read-only.
func (s *Store) watchDisk(dir string, o Options) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: creating %s: %w", dir, err)
	}
	w, err := diskspace.New(diskspace.Config{
		Dir:          dir,
		ReserveBytes: o.MinFreeBytes,
		FloorBytes:   min(o.ReplicaMinFreeBytes, o.MinFreeBytes),
		BallastPath:  filepath.Join(dir, BallastFile),
		BallastBytes: o.BallastBytes,
		Unflushed:    s.unflushed,
		Statfs:       o.Statfs,
		Logger:       o.Logger,
	})
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	s.disk = w
	return nil
}

// unflushed returns the bytes in Pebble's WAL not yet flushed to tables: a
// flush needs about as much room again before it frees the WAL.
func (s *Store) unflushed() int64 {
	if s.db == nil {
		return 0
	}
	return int64(s.db.Metrics().WAL.Size)
}

// room returns ErrDiskFull if the disk is at or beyond level, or if a
// write of size bytes would not fit.
func (s *Store) room(level diskspace.Level, size int) error {
	if s.readOnly {
		return ErrReadOnly
	}
	if s.disk == nil {
		return nil
	}
	st := s.disk.Check()
	if st.Level < level && st.FreeBytes-2*int64(size) >= s.dbReserve() {
		return nil
	}
	return fmt.Errorf("%w: %s free (less what the database has yet to flush), %s reserved (%s)",
		ErrDiskFull, mib(st.FreeBytes), mib(st.ReserveBytes), st.Level)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// Disk returns the disk watch's state, read now; ok is false when the
// disk is not watched (in-memory stores). While the database is open
// read-only the state says so (ReadOnly) and its level is Critical.
func (s *Store) Disk() (st diskspace.State, ok bool) {
	if s.disk == nil {
		return st, false
	}
	return s.disk.Check(), true
}

// MaintainDisk logs the disk's condition if it is due, makes the ballast
// again once there is room, and, while space is short, flushes Pebble's
// memtable so that the room its WAL keeps reserved (see unflushed) is
// given back. Call it every few seconds.
func (s *Store) MaintainDisk() {
	if s.disk == nil {
		return
	}
	st := s.disk.Maintain()
	if s.readOnly {
		return // nothing is flushed; the watch logs that a restart is needed
	}
	m := s.db.Metrics()
	var tables int64
	for _, l := range m.Levels {
		tables += l.TablesCount
	}
	s.tables.Store(tables)
	// FreeBytes already leaves out the unflushed bytes, so at or above the
	// reserve the table the flush writes fits.
	if st.Level == diskspace.OK || st.FreeBytes < s.dbReserve() || m.WAL.Size < 1<<20 {
		return
	}
	s.db.AsyncFlush() // on error the next call tries again
}

// ReadOnly reports whether the database is open read-only because the disk
// had no room for it when the store was opened: every write fails with
// ErrReadOnly until the store is opened again.
func (s *Store) ReadOnly() bool { return s.readOnly }

// openDB opens Pebble, read-only if the disk has no room for a read-write
// open, which writes at once: it flushes the WAL it replays, and waits
// until that flush succeeds (a failed flush is retried at once, for ever),
// and the first change after opening writes a new MANIFEST, a snapshot of
// every table, which Pebble cannot survive failing. So it needs the table
// of the replayed WAL and dbReserve free. Where the WAL files alone leave
// that much free the database is opened read-write. Otherwise (the
// ballast deleted first, if there is one) it is opened read-only, which
// replays the WAL into memory and writes nothing, and the memtables it
// filled bound the table a flush would write; with room for it and the
// reserve it is closed and opened read-write, else it stays read-only:
// reads are served and every write is refused with ErrReadOnly until the
// store is opened again. A database that does not exist yet cannot be
// opened read-only; creating one without room fails with ErrDiskFull.
func (s *Store) openDB(dir string, opts *pebble.Options) (*pebble.DB, error) {
	if s.disk == nil {
		return pebble.Open(dir, opts)
	}
	names, err := opts.FS.List(dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	var tables, logs int64
	for _, n := range names {
		switch {
		case strings.HasSuffix(n, ".sst"):
			tables++
		case strings.HasSuffix(n, ".log"):
			if fi, err := opts.FS.Stat(opts.FS.PathJoin(dir, n)); err == nil {
				logs += fi.Size()
			}
		}
	}
	s.tables.Store(tables)
	// A table holds about what the WAL held; a quarter more covers its
	// index and filter.
	if s.roomToOpen(s.dbReserve() + logs + logs/4) {
		return pebble.Open(dir, opts)
	}
	desc, err := pebble.Peek(dir, opts.FS)
	if err != nil {
		return nil, err
	}
	if !desc.Exists {
		st := s.disk.Check()
		return nil, fmt.Errorf("%w: %s free, creating the database needs %s", ErrDiskFull, mib(st.FreeBytes), mib(s.dbReserve()))
	}
	opts.ReadOnly = true
	db, err := pebble.Open(dir, opts)
	opts.ReadOnly = false
	if err != nil {
		return nil, err
	}
	need := s.dbReserve() + int64(db.Metrics().MemTable.Size)
	if s.roomToOpen(need) {
		if err := db.Close(); err != nil {
			return nil, err
		}
		return pebble.Open(dir, opts)
	}
	st := s.disk.Check()
	s.log.Error("the disk has no room for the database to open for writing, so it is open read-only: lookups, status and sync are served; submissions (HTTP 507) and other members' blocks are refused until space is freed and the peer restarted",
		"free_bytes", st.FreeBytes, "needed_bytes", need, "dir", dir)
	s.readOnly = true
	s.disk.SetReadOnly()
	return db, nil
}

// roomToOpen reports whether need bytes are free, deleting the ballast
// first if they are not.
func (s *Store) roomToOpen(need int64) bool {
	st := s.disk.Check() // deletes the ballast if the disk is critical
	if st.Err != nil || st.FreeBytes >= need {
		return st.Err == nil
	}
	if st.BallastBytes > 0 {
		s.disk.ReleaseBallast("the disk has no room to open the database")
		st = s.disk.Check()
	}
	return st.Err == nil && st.FreeBytes >= need
}

// BackgroundErrors returns how many background errors Pebble reported.
func (s *Store) BackgroundErrors() uint64 { return s.bgErrors.Load() }
