package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

var lostKey = []byte{prefixMeta, 'l'}

// PendingLoss is what setting damaged pending logs aside has lost, over the
// life of the store.
type PendingLoss struct {
	// Records is how many acknowledged records could not be read.
	Records uint64
	// At is when the last damaged log was set aside, Dir where it was moved.
	At  time.Time
	Dir string
}

// PendingLost returns the records lost to damaged pending logs (zero if
// none ever was).
func (s *Store) PendingLost() (PendingLoss, error) {
	v, err := s.get(lostKey)
	if errors.Is(err, ErrNotFound) {
		return PendingLoss{}, nil
	}
	if err != nil {
		return PendingLoss{}, err
	}
	if len(v) < 16 {
		return PendingLoss{}, fmt.Errorf("%w: pending loss record", ErrCorrupt)
	}
	return PendingLoss{
		Records: binary.BigEndian.Uint64(v),
		At:      time.UnixMilli(int64(binary.BigEndian.Uint64(v[8:]))),
		Dir:     string(v[16:]),
	}, nil
}

// SetAside is what SetAsidePending did.
type SetAside struct {
	// Damage is what was wrong; nil if the log was not damaged and nothing
	// was done.
	Damage *PendingDamageError
	// Kept is how many readable records were copied into the new log.
	Kept int
	// MovedTo is the directory that now holds the damaged segments.
	MovedTo  string
	Segments int
}

// SetAsidePending opens the store in dir (so it fails with ErrInUse while a
// peer runs on it) and, if its pending log is damaged, moves the log's
// segments to <dir>/pending.damaged-<time>, starts a new log holding every
// record that could still be read (in order), and records the loss, which
// LoadPending then logs at ERROR on every start and PendingLost reports.
//
// The steps, each durable before the next: the new log is written to
// <dir>/pending.salvage; the damaged log is renamed away and the new one
// renamed into place; the loss and the new end of the log are recorded. A
// crash between the last two leaves a log that looks truncated; setting it
// aside again counts the same loss a second time, at most.
func SetAsidePending(dir string, o Options, now time.Time) (*SetAside, error) {
	s, err := Open(dir, o)
	if err != nil {
		return nil, err
	}
	res, err := s.setAsidePending(dir, now)
	return res, errors.Join(err, s.Close())
}

func (s *Store) setAsidePending(dir string, now time.Time) (*SetAside, error) {
	if s.readOnly {
		return nil, ErrReadOnly // nothing is moved that could not be recorded
	}
	mark, known, err := s.pendingMarks()
	if err != nil {
		return nil, err
	}
	s.poolMu.Lock()
	defer s.poolMu.Unlock()
	p := s.pool
	ls, err := p.scan(mark, known)
	if err != nil {
		return nil, err
	}
	if ls.damage == nil {
		return &SetAside{}, nil
	}
	fs := p.fs
	res := &SetAside{Damage: ls.damage, Segments: len(p.segs)}
	stamp := now.UTC().Format("20060102T150405Z")
	res.MovedTo = fs.PathJoin(dir, "pending.damaged-"+stamp)
	for i := 2; ; i++ {
		if _, err := fs.Stat(res.MovedTo); err != nil {
			break
		}
		res.MovedTo = fs.PathJoin(dir, fmt.Sprintf("pending.damaged-%s-%d", stamp, i))
	}

	// 1. The new log, renumbered from the mark so that it has no gaps.
	salvage := fs.PathJoin(dir, "pending.salvage")
	if err := fs.RemoveAll(salvage); err != nil {
		return nil, err
	}
	if err := fs.MkdirAll(salvage, 0o700); err != nil {
		return nil, err
	}
	var entries [][]byte
	seen := make(map[string]bool)
	for _, r := range ls.readable {
		if !seen[string(r.Entry)] {
			seen[string(r.Entry)] = true
			entries = append(entries, r.Entry)
		}
	}
	res.Kept = len(entries)
	if len(entries) > 0 {
		if err := writeSynced(fs, fs.PathJoin(salvage, fmt.Sprintf("%020d.log", mark)), appendFrames(nil, mark, entries)); err != nil {
			return nil, err
		}
	}
	if err := syncDir(fs, salvage); err != nil {
		return nil, err
	}

	// 2. Swap the logs.
	if err := p.close(); err != nil {
		return nil, err
	}
	p.cur = nil
	if err := fs.Rename(p.dir, res.MovedTo); err != nil {
		return nil, err
	}
	if err := fs.Rename(salvage, p.dir); err != nil {
		return nil, err
	}
	if err := syncDir(fs, dir); err != nil {
		return nil, err
	}

	// 3. Record the loss and the new end of the log.
	loss, err := s.PendingLost()
	if err != nil {
		return nil, err
	}
	v := binary.BigEndian.AppendUint64(nil, loss.Records+ls.damage.Frames)
	v = binary.BigEndian.AppendUint64(v, uint64(now.UnixMilli()))
	v = append(v, res.MovedTo...)
	b := s.db.NewBatch()
	defer b.Close()
	if err := b.Set(lostKey, v, nil); err != nil {
		return nil, err
	}
	if err := b.Set(loggedKey, binary.BigEndian.AppendUint64(nil, mark+uint64(len(entries))), nil); err != nil {
		return nil, err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return nil, err
	}
	np, err := openPool(fs, dir)
	if err != nil {
		return nil, err
	}
	s.pool = np
	return res, nil
}
