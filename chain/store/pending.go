package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/store/diskspace"
)

// The builder's pending pool is an append-only log beside the database, not
// keys in it: an accepted entry is written once to the log and once, sealed,
// into the database, instead of twice into the LSM tree (where the second
// copy would have to be compacted away). The log lives in <dir>/pending as
// segment files named by the sequence number of their first record; the
// frames are described in pending_frame.go. AddPending appends a batch and
// fsyncs once; the end of the log is then recorded in the database too
// (pending_end.go). AppendSealed records, in the same fsynced database
// batch as the sealed blocks, the sequence number below which everything
// is sealed; only then are whole segments below the mark removed. After a
// crash, LoadPending returns the records at or above the mark: a torn tail
// (the batch that was being written, never acknowledged) is cut off, and
// damage anywhere else is a *PendingDamageError, because it lost
// acknowledged records (pending_scan.go says how the two are told apart,
// and what cannot be told).
//
// Why not Pebble's record package (the WAL's format: 32 KiB blocks of
// checksummed chunks)? Its reader treats a bad chunk at the end as the end
// of the log and can tell corruption from a torn tail only in its WAL-sync
// chunk format, which only its LogWriter writes (with its own flush
// goroutine, sync queue and metrics), and its reader takes a log number of
// an internal type. It knows nothing of our sequence numbers, which are
// what tells how many records were lost, and nothing of batches, which is
// what makes a torn tail recognizable. Our frames are as simple as its
// chunks (a length and a CRC-32C over header and payload) and carry both.
// Log recycling, its other feature, saves a metadata update per fsync by
// reusing preallocated files; our segments are appended in place and
// removed whole, and the acknowledgement waits for one fsync either way.
// Changing formats would also have forced a migration of pending logs.

const (
	pendingDir     = "pending"
	segmentMaxSize = 64 << 20
)

var (
	sealedMarkKey = []byte{prefixMeta, 's'}
	loggedKey     = []byte{prefixMeta, 'n'}
)

// Pending is an entry the builder accepted and has not yet sealed.
type Pending struct {
	Seq   uint64
	Entry []byte
}

// pool is the open pending log, guarded by Store.poolMu.
type pool struct {
	fs   vfs.FS
	dir  string
	segs []uint64 // first sequence number of every segment, ascending
	cur  vfs.File // the last segment, open for appending
	size int64    // bytes in cur
	// maxSize is the size beyond which a new segment is started.
	maxSize int64
	// readOnly: the database is open read-only, so nothing is appended and
	// a torn tail is left for the next read-write open to cut off (cutting
	// copies the segment, which a full disk has no room for).
	readOnly bool
}

func openPool(fs vfs.FS, dir string) (*pool, error) {
	p := &pool{fs: fs, dir: fs.PathJoin(dir, pendingDir), maxSize: segmentMaxSize}
	if err := fs.MkdirAll(p.dir, 0o700); err != nil {
		return nil, err
	}
	// The directory's own entry must be durable before anything in it is
	// acknowledged (found missing by the crash-filesystem test).
	if err := syncDir(fs, dir); err != nil {
		return nil, err
	}
	names, err := fs.List(p.dir)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		first, ok := strings.CutSuffix(n, ".log")
		seq, err := strconv.ParseUint(first, 10, 64)
		if !ok || err != nil {
			continue
		}
		p.segs = append(p.segs, seq)
	}
	slices.Sort(p.segs)
	return p, nil
}

func (p *pool) segPath(first uint64) string {
	return p.fs.PathJoin(p.dir, fmt.Sprintf("%020d.log", first))
}

// load returns the records at or above mark and cuts off a torn tail, or
// returns a *PendingDamageError.
func (p *pool) load(mark, known uint64) (*logScan, error) {
	ls, err := p.scan(mark, known)
	if err != nil {
		return nil, err
	}
	if ls.damage != nil {
		return nil, ls.damage
	}
	if ls.cutAt >= 0 && !p.readOnly {
		// A torn tail of the last segment: cut it off. Its batch was never
		// acknowledged, because acknowledgement follows the fsync.
		if err := p.truncate(p.segs[len(p.segs)-1], ls.cutAt); err != nil {
			return nil, err
		}
	}
	return ls, nil
}

// truncate cuts a segment to its first size bytes: the good prefix is
// copied to a new file that replaces the segment, so no stale bytes of the
// torn batch can ever be read again.
func (p *pool) truncate(first uint64, size int64) error {
	path := p.segPath(first)
	f, err := p.fs.Open(path)
	if err != nil {
		return err
	}
	good := make([]byte, size)
	_, err = io.ReadFull(f, good)
	f.Close()
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := writeSynced(p.fs, tmp, good); err != nil {
		return err
	}
	if err := p.fs.Rename(tmp, path); err != nil {
		return err
	}
	return p.syncDir()
}

func (p *pool) syncDir() error { return syncDir(p.fs, p.dir) }

// writeSynced creates the file path holding data, fsynced.
func writeSynced(fs vfs.FS, path string, data []byte) error {
	t, err := fs.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	if _, err := t.Write(data); err != nil {
		t.Close()
		return err
	}
	if err := t.Sync(); err != nil {
		t.Close()
		return err
	}
	return t.Close()
}

func syncDir(fs vfs.FS, dir string) error {
	d, err := fs.OpenDir(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// append writes records first, first+1, ... and fsyncs.
func (p *pool) append(first uint64, entries [][]byte) error {
	if p.cur != nil && p.size > p.maxSize {
		if err := p.cur.Close(); err != nil {
			return err
		}
		p.cur = nil
		if err := p.newSegment(first); err != nil {
			return err
		}
	}
	if p.cur == nil {
		if err := p.startSegment(first); err != nil {
			return err
		}
	}
	buf := appendFrames(nil, first, entries)
	if _, err := p.cur.WriteAt(buf, p.size); err != nil {
		return err
	}
	if err := p.cur.Sync(); err != nil {
		return err
	}
	p.size += int64(len(buf))
	return nil
}

// startSegment opens the segment to append to: the last one on disk if it
// has room, else a new one starting at first.
func (p *pool) startSegment(first uint64) error {
	if n := len(p.segs); n > 0 {
		// Continue the last segment a previous run left (load has cut any
		// torn tail), unless it is full.
		last := p.segs[n-1]
		f, err := p.fs.OpenReadWrite(p.segPath(last), vfs.WriteCategoryUnspecified)
		if err != nil {
			return err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		if st.Size() <= p.maxSize {
			p.cur, p.size = f, st.Size()
			return nil
		}
		f.Close()
	}
	return p.newSegment(first)
}

func (p *pool) newSegment(first uint64) error {
	f, err := p.fs.Create(p.segPath(first), vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	if err := p.syncDir(); err != nil {
		f.Close()
		return err
	}
	p.cur, p.size = f, 0
	p.segs = append(p.segs, first)
	return nil
}

// release removes every segment all of whose records are below end. The
// segment being appended to is removed (and a new one started on the next
// append) when end is past everything it holds.
func (p *pool) release(end, next uint64) error {
	keep := p.segs[:0:0]
	for i, first := range p.segs {
		last := i == len(p.segs)-1
		done := (!last && p.segs[i+1] <= end) || (last && end >= next && first < end)
		if !done {
			keep = append(keep, first)
			continue
		}
		if last && p.cur != nil {
			p.cur.Close()
			p.cur = nil
		}
		if err := p.fs.Remove(p.segPath(first)); err != nil {
			return err
		}
	}
	p.segs = keep
	return nil
}

func (p *pool) close() error {
	if p.cur == nil {
		return nil
	}
	return p.cur.Close()
}

// AddPending appends entries with sequence numbers first, first+1, ... to
// the pending log and returns once they are on disk (one fsync for the
// batch). Only the builder calls it, from one goroutine; AppendSealed may
// run at the same time. When free space is below the reserve it fails with
// ErrDiskFull and writes nothing.
func (s *Store) AddPending(first uint64, entries [][]byte) error {
	size := 0
	for _, e := range entries {
		size += frameHeaderV2 + len(e)
	}
	if err := s.room(diskspace.Low, size); err != nil {
		return err
	}
	s.poolMu.Lock()
	defer s.poolMu.Unlock()
	if err := s.pool.append(first, entries); err != nil {
		return fmt.Errorf("store: writing pending entries: %w", err)
	}
	s.poolNext = first + uint64(len(entries))
	s.noteLogEnd(s.poolNext)
	return nil
}

// LoadPending returns every pending entry not yet sealed, in sequence
// order, and the sequence number the next entry must take: sequence numbers
// never go back, or a new entry could hide below the sealed mark. A torn
// tail is cut off (and logged at WARN if it held readable frames); damage
// anywhere else returns a *PendingDamageError and changes nothing. If a
// damaged log was ever set aside, the records lost then are logged at
// ERROR.
func (s *Store) LoadPending() (entries []Pending, next uint64, err error) {
	mark, known, err := s.pendingMarks()
	if err != nil {
		return nil, 0, err
	}
	if loss, err := s.PendingLost(); err != nil {
		return nil, 0, err
	} else if loss.Records > 0 {
		s.log.Error("acknowledged pending records were lost when a damaged pending log was set aside",
			"records", loss.Records, "set_aside_at", loss.At.UTC().Format(time.RFC3339), "moved_to", loss.Dir)
	}
	s.poolMu.Lock()
	defer s.poolMu.Unlock()
	ls, err := s.pool.load(mark, known)
	if err != nil {
		return nil, 0, err
	}
	switch {
	case ls.dropped > 0 && s.readOnly:
		s.log.Warn("the pending log ends in a torn batch that was never acknowledged; it is ignored, and cut off once the database can be written",
			"readable_frames_dropped", ls.dropped)
	case ls.dropped > 0:
		s.log.Warn("cut off the torn tail of the pending log: a batch that was never acknowledged",
			"readable_frames_dropped", ls.dropped)
	}
	out := ls.keep
	s.poolNext = mark
	if len(out) > 0 {
		s.poolNext = out[len(out)-1].Seq + 1
	}
	return out, s.poolNext, nil
}

// pendingMarks returns the sealed mark and the recorded end of the log (0
// if never recorded: a store written before it was).
func (s *Store) pendingMarks() (mark, known uint64, err error) {
	if mark, err = s.getUint64(sealedMarkKey); err != nil {
		return 0, 0, fmt.Errorf("%w: pending mark", err)
	}
	if known, err = s.getUint64(loggedKey); err != nil {
		return 0, 0, fmt.Errorf("%w: pending log end", err)
	}
	return mark, known, nil
}

func (s *Store) getUint64(key []byte) (uint64, error) {
	v, err := s.get(key)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, ErrCorrupt
	}
	return binary.BigEndian.Uint64(v), nil
}

// AppendSealed stores the builder's own new blocks and marks the pending
// entries with sequence numbers below pendingEnd as sealed, in one fsynced
// batch: after a crash either the blocks exist and their entries are no
// longer pending, or neither. The builder checked every entry key
// against the chain when it accepted the entry, so they are not probed
// again; only the builder writes its own chain.
func (s *Store) AppendSealed(vbs []*chain.VerifiedBlock, pendingEnd uint64) error {
	mark, _, err := s.pendingMarks()
	if err != nil {
		return err
	}
	pendingEnd = max(pendingEnd, mark)
	err = s.commit(vbs, func(b *pebble.Batch) error {
		return b.Set(sealedMarkKey, binary.BigEndian.AppendUint64(nil, pendingEnd), nil)
	}, true, pebble.Sync, onlyIfNoRoom)
	if err != nil {
		return err
	}
	s.poolMu.Lock()
	defer s.poolMu.Unlock()
	if err := s.pool.release(pendingEnd, s.poolNext); err != nil {
		return fmt.Errorf("store: removing sealed pending segments: %w", err)
	}
	return nil
}

// HasKey reports whether issuer's chain already holds an entry with key.
func (s *Store) HasKey(iss chain.IssuerID, key []byte) (bool, error) {
	found, err := s.HasKeys(iss, [][]byte{key})
	if err != nil {
		return false, err
	}
	return found[0], nil
}
