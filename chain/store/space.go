package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/credmesh/credmesh/chain/store/diskspace"
)

// ErrDiskFull is wrapped by every write refused for lack of disk space. The
// write did not happen and nothing else changed; it may be retried once
// space returns.
var ErrDiskFull = errors.New("store: not enough free disk space")

// BallastFile is the name of the ballast in the database directory.
const BallastFile = "ballast"

// onlyIfNoRoom is the refuseAt of the writes that must go on at every
// level (our own sealing, evidence): only the hard margin stops them.
const onlyIfNoRoom = diskspace.Critical + 1

// hardMarginBytes is kept free under any write, even the builder's own
// sealing: Pebble panics when its WAL or MANIFEST cannot be written.
const hardMarginBytes = 1 << 20

// Which writes each level still allows (see package diskspace):
//
//	OK        everything
//	Low       no new pending entries or private records; our own sealing
//	          and other issuers' blocks go on
//	Critical  our own sealing only, and evidence; the ballast is deleted
//
// Every write is also refused if it would leave less than hardMarginBytes
// of free space once flushed (about twice its size: the WAL, then the
// table).
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
	if s.disk == nil {
		return nil
	}
	st := s.disk.Check()
	if st.Level < level && st.FreeBytes-2*int64(size) >= hardMarginBytes {
		return nil
	}
	return fmt.Errorf("%w: %s free (less what the database has yet to flush), %s reserved (%s)",
		ErrDiskFull, mib(st.FreeBytes), mib(st.ReserveBytes), st.Level)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// Disk returns the disk watch's state, read now; ok is false when the
// disk is not watched (in-memory stores).
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
	// FreeBytes already leaves out the unflushed bytes, so at or above the
	// margin the table the flush writes fits.
	if st.Level == diskspace.OK || st.FreeBytes < hardMarginBytes || s.unflushed() < 1<<20 {
		return
	}
	s.db.AsyncFlush() // on error the next call tries again
}

// BackgroundErrors returns how many background errors Pebble reported.
func (s *Store) BackgroundErrors() uint64 { return s.bgErrors.Load() }
