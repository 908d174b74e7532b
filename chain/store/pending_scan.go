package store

import (
	"fmt"
	"io"
	"math"
)

// PendingDamageError is returned by LoadPending when the pending log lost
// records it had acknowledged: bytes that are not frames, or frames missing,
// anywhere but in the torn tail a crash leaves. The peer must not start
// (it would silently drop what it promised to seal); SetAsidePending moves
// the damaged log away, keeps every record still readable and records the
// loss. It wraps ErrCorrupt.
type PendingDamageError struct {
	// File is the segment where the first damage is, Offset the byte in it
	// where unreadable bytes or missing frames begin.
	File   string
	Offset int64
	// Frames is how many acknowledged records, over the whole log, cannot
	// be read. It can be 0 when only bytes between whole frames are bad.
	Frames uint64
	// Unreadable is how many bytes, over the whole log, are not frames.
	Unreadable int64
}

func (e *PendingDamageError) Error() string {
	return fmt.Sprintf("%v: the pending log is damaged at offset %d of %s: %d acknowledged records cannot be read (%d bytes unreadable)",
		ErrCorrupt, e.Offset, e.File, e.Frames, e.Unreadable)
}

func (e *PendingDamageError) Unwrap() error { return ErrCorrupt }

// span is a byte range of a segment.
type span struct{ off, end int64 }

// segScan is what a segment holds: its readable frames, in order, and the
// byte ranges between them that are not frames.
type segScan struct {
	first  uint64
	path   string
	frames []frame
	bad    []span
}

// scanSegment reads a whole segment. After bytes that are not a frame it
// looks, byte by byte, for the next frame whose sequence number can follow
// the last one read.
func (p *pool) scanSegment(first uint64) (*segScan, error) {
	s := &segScan{first: first, path: p.segPath(first)}
	f, err := p.fs.Open(s.path)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	next := first // the lowest sequence number the next frame can have
	hi := func() uint64 { return min(next+math.MaxUint32, math.MaxUint64-1) }
	for off := int64(0); off < int64(len(data)); {
		if fr, ok := parseFrame(data, off, next, hi()); ok {
			s.frames = append(s.frames, fr)
			next, off = fr.seq+1, fr.end
			continue
		}
		start := off
		for off++; off < int64(len(data)); off++ {
			if _, ok := parseFrame(data, off, next, hi()); ok {
				break
			}
		}
		s.bad = append(s.bad, span{start, off})
	}
	return s, nil
}

// logScan is the verdict on the whole log.
type logScan struct {
	segs   []*segScan
	damage *PendingDamageError // nil if nothing acknowledged was lost
	// Without damage: the records to load and where to cut the torn tail
	// of the last segment (cutAt < 0: nothing to cut).
	keep    []Pending
	cutAt   int64
	dropped int // readable frames of the torn batch beyond the cut
	// Every readable record at or above the mark, for setting aside.
	readable []Pending
}

// scan reads every segment and tells a torn tail from damage.
//
// What must exist: every record at or above the sealed mark and below the
// highest of
//   - known, the end of the log as last recorded in the database
//     (pending_end.go), which lags the log by one fsync;
//   - the first sequence number of the last segment (a segment is started
//     only after everything before it was fsynced);
//   - the first sequence number of the batch of any readable v2 frame (a
//     batch is written only after the previous one was fsynced).
//
// A record below that bound that cannot be read is lost, and so is any
// unreadable byte range that is not the tail. The tail is the part of the
// last segment from its first unreadable range after which every readable
// frame lies at or above the bound: it can only be the batch that was being
// written when the peer stopped (or a later one), which was never
// acknowledged, since acknowledgement follows the fsync. The tail is cut.
//
// What cannot be detected: damage or a truncation confined to the records
// acknowledged after the recorded end, while its write was in flight (a
// batch or two), that leaves no readable frame of a later batch behind it,
// e.g. the last batch cut at a frame boundary or damaged. A v1 frame does
// not know its batch, so a log of v1 frames only knows the first two
// bounds.
func (p *pool) scan(mark, known uint64) (*logScan, error) {
	ls := &logScan{cutAt: -1}
	for _, first := range p.segs {
		s, err := p.scanSegment(first)
		if err != nil {
			return nil, err
		}
		ls.segs = append(ls.segs, s)
	}
	must := max(mark, known)
	if n := len(ls.segs); n > 0 {
		must = max(must, ls.segs[n-1].first)
	}
	for _, s := range ls.segs {
		for _, f := range s.frames {
			if f.seq >= mark && f.v2 {
				must = max(must, f.batchFirst)
			}
		}
	}

	var (
		dmg     *PendingDamageError
		unread  int64
		lost    uint64
		next    = mark // the next record we expect at or above the mark
		prevSeg *segScan
		prevEnd int64
		tailSeg *segScan
		tailAt  int64 = -1
		lastIdx       = len(ls.segs) - 1
		noteDmg       = func(s *segScan, off int64) {
			if dmg == nil {
				dmg = &PendingDamageError{File: s.path, Offset: off}
			}
		}
	)
	// where returns the place a record missing after the frame ending at
	// prevEnd in prevSeg should have been.
	where := func() (*segScan, int64) {
		if prevSeg == nil {
			if len(ls.segs) == 0 {
				return &segScan{path: p.dir}, 0
			}
			prevSeg, prevEnd = ls.segs[0], 0
		}
		for _, b := range prevSeg.bad {
			if b.off >= prevEnd {
				return prevSeg, b.off
			}
		}
		return prevSeg, prevEnd
	}
	for i, s := range ls.segs {
		// The tail: the first unreadable range of the last segment after
		// which no frame lies below must.
		if i == lastIdx {
			for _, b := range s.bad {
				below := false
				for _, f := range s.frames {
					if f.off > b.off && f.seq < must {
						below = true
						break
					}
				}
				if !below {
					tailSeg, tailAt = s, b.off
					break
				}
			}
		}
		fi := 0
		for bi := 0; bi <= len(s.bad); bi++ {
			// Frames before the bad range bi (or all the rest).
			limit := int64(math.MaxInt64)
			if bi < len(s.bad) {
				limit = s.bad[bi].off
			}
			for ; fi < len(s.frames) && s.frames[fi].off < limit; fi++ {
				f := s.frames[fi]
				if tailSeg == s && f.off >= tailAt {
					ls.dropped++
				}
				if f.seq >= mark {
					ls.readable = append(ls.readable, Pending{Seq: f.seq, Entry: f.entry})
				}
				if f.seq >= next {
					if gap := min(f.seq, must); gap > next {
						ws, wo := where()
						noteDmg(ws, wo)
						lost += gap - next
					}
					next = f.seq + 1
				}
				prevSeg, prevEnd = s, f.end
			}
			if bi == len(s.bad) {
				break
			}
			b := s.bad[bi]
			unread += b.end - b.off
			if tailSeg == s && b.off >= tailAt {
				continue
			}
			// A bad range only matters if it can hold records at or
			// above the mark: the next readable sequence number after it
			// is above the mark.
			after := uint64(math.MaxUint64)
			if fi < len(s.frames) {
				after = s.frames[fi].seq
			} else if i < lastIdx {
				after = ls.segs[i+1].first
			}
			if after > mark {
				noteDmg(s, b.off)
			}
		}
	}
	if next < must {
		ws, wo := where()
		noteDmg(ws, wo)
		lost += must - next
	}
	if dmg != nil {
		dmg.Frames, dmg.Unreadable = lost, unread
		ls.damage = dmg
		return ls, nil
	}
	ls.cutAt = tailAt
	for _, s := range ls.segs {
		for _, f := range s.frames {
			if f.seq >= mark && !(s == tailSeg && f.off >= tailAt) {
				ls.keep = append(ls.keep, Pending{Seq: f.seq, Entry: append([]byte(nil), f.entry...)})
			}
		}
	}
	return ls, nil
}
