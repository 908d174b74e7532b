package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/store/diskspace"
)

// The builder's pending pool is an append-only log beside the database, not
// keys in it: an accepted entry is written once to the log and once, sealed,
// into the database, instead of twice into the LSM tree (where the second
// copy would have to be compacted away). The log lives in <dir>/pending as
// segment files named by the sequence number of their first record:
//
//	record := length(4, big-endian) crc32c(4) seq(8) entry
//
// where length counts seq and entry and the CRC covers them. AddPending
// appends a batch and fsyncs once. AppendSealed records, in the same
// fsynced database batch as the sealed blocks, the sequence number below
// which everything is sealed; only then are whole segments below it removed.
// After a crash, LoadPending returns the records at or above that mark; a
// torn record at the end of the last segment (a batch that never finished
// its fsync, so was never acknowledged) is cut off.

const (
	pendingDir     = "pending"
	segmentMaxSize = 64 << 20
	recordHeader   = 4 + 4 + 8
	maxRecord      = 1 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var sealedMarkKey = []byte{prefixMeta, 's'}

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
}

func openPool(fs vfs.FS, dir string) (*pool, error) {
	p := &pool{fs: fs, dir: filepath.Join(dir, pendingDir)}
	if err := fs.MkdirAll(p.dir, 0o700); err != nil {
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

// load reads every record at or above from, cutting off a torn tail.
func (p *pool) load(from uint64) ([]Pending, error) {
	var out []Pending
	for i, first := range p.segs {
		last := i == len(p.segs)-1
		recs, good, err := p.readSegment(first)
		if err != nil && !last {
			return nil, fmt.Errorf("%w: pending segment %d: %v", ErrCorrupt, first, err)
		}
		if err != nil {
			// A torn tail of the last segment: cut it off. Its batch was never
			// acknowledged, because acknowledgement follows the fsync.
			if terr := p.truncate(first, good); terr != nil {
				return nil, terr
			}
		}
		for _, r := range recs {
			if r.Seq >= from {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// readSegment returns the valid records of a segment, the offset after the
// last of them, and an error if anything follows that is not a record.
func (p *pool) readSegment(first uint64) ([]Pending, int64, error) {
	f, err := p.fs.Open(p.segPath(first))
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, 0, err
	}
	var out []Pending
	off := int64(0)
	for len(data) > 0 {
		if len(data) < recordHeader {
			return out, off, errors.New("short record header")
		}
		n := binary.BigEndian.Uint32(data)
		if n < 8 || n > maxRecord || int(n) > len(data)-8 {
			return out, off, errors.New("bad record length")
		}
		body := data[8 : 8+n]
		if crc32.Checksum(body, castagnoli) != binary.BigEndian.Uint32(data[4:]) {
			return out, off, errors.New("record checksum mismatch")
		}
		out = append(out, Pending{Seq: binary.BigEndian.Uint64(body), Entry: append([]byte(nil), body[8:]...)})
		data = data[8+n:]
		off += int64(8 + n)
	}
	return out, off, nil
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
	t, err := p.fs.Create(tmp, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	if _, err := t.Write(good); err != nil {
		t.Close()
		return err
	}
	if err := t.Sync(); err != nil {
		t.Close()
		return err
	}
	if err := t.Close(); err != nil {
		return err
	}
	if err := p.fs.Rename(tmp, path); err != nil {
		return err
	}
	return p.syncDir()
}

func (p *pool) syncDir() error {
	d, err := p.fs.OpenDir(p.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// append writes records first, first+1, ... and fsyncs.
func (p *pool) append(first uint64, entries [][]byte) error {
	if p.cur != nil && p.size > segmentMaxSize {
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
	var buf []byte
	for i, e := range entries {
		start := len(buf)
		buf = append(buf, make([]byte, recordHeader)...)
		binary.BigEndian.PutUint64(buf[start+8:], first+uint64(i))
		buf = append(buf, e...)
		body := buf[start+8:]
		binary.BigEndian.PutUint32(buf[start:], uint32(len(body)))
		binary.BigEndian.PutUint32(buf[start+4:], crc32.Checksum(body, castagnoli))
	}
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
		if st.Size() <= segmentMaxSize {
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
		size += recordHeader + len(e)
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
	return nil
}

// LoadPending returns every pending entry not yet sealed, in sequence
// order, and the sequence number the next entry must take: sequence numbers
// never go back, or a new entry could hide below the sealed mark.
func (s *Store) LoadPending() (entries []Pending, next uint64, err error) {
	mark, err := s.sealedMark()
	if err != nil {
		return nil, 0, err
	}
	s.poolMu.Lock()
	defer s.poolMu.Unlock()
	out, err := s.pool.load(mark)
	if err != nil {
		return nil, 0, err
	}
	s.poolNext = mark
	if len(out) > 0 {
		s.poolNext = out[len(out)-1].Seq + 1
	}
	return out, s.poolNext, nil
}

func (s *Store) sealedMark() (uint64, error) {
	v, err := s.get(sealedMarkKey)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil || len(v) != 8 {
		return 0, fmt.Errorf("%w: pending mark", ErrCorrupt)
	}
	return binary.BigEndian.Uint64(v), nil
}

// AppendSealed stores the builder's own new blocks and marks the pending
// entries with sequence numbers below pendingEnd as sealed, in one fsynced
// batch: after a crash either the blocks exist and their entries are no
// longer pending, or neither. The builder checked every entry key against
// the chain when it accepted the entry, so they are not probed again; only
// the builder writes its own chain.
func (s *Store) AppendSealed(vbs []*chain.VerifiedBlock, pendingEnd uint64) error {
	mark, err := s.sealedMark()
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
