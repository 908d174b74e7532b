package store

import (
	"encoding/binary"
	"hash/crc32"
)

// Frames of the pending log. Two layouts exist; a frame says which it is by
// the top bit of its first word, so both can sit in one segment:
//
//	v1 (before batch bounds): length(4)              crc32c(4) seq(8) entry
//	v2:                       0x80000000|length(4)   crc32c(4) seq(8) index(4) count(4) entry
//
// length counts the bytes after the CRC. In v1 the CRC covers seq and
// entry; in v2 it covers the first word too (so a flipped version bit or
// length fails the check) and everything after the CRC. index and count
// place the frame in the batch that AddPending wrote with one fsync: the
// batch holds the sequence numbers seq-index ... seq-index+count-1. v2 is
// written since the log could tell a torn tail from damage; v1 frames are
// still read.

const (
	frameV2       = 1 << 31
	frameHeaderV1 = 4 + 4 + 8
	frameHeaderV2 = 4 + 4 + 8 + 4 + 4
	maxRecord     = 1 << 20 // largest length of a frame
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// frame is one readable frame of a segment.
type frame struct {
	off, end int64 // byte range in its segment
	seq      uint64
	// batchFirst is the first sequence number of the frame's batch; 0 for
	// a v1 frame, which does not know its batch.
	batchFirst uint64
	v2         bool
	entry      []byte
}

// appendFrames appends the v2 frames of one batch: seq first, first+1, ...
func appendFrames(buf []byte, first uint64, entries [][]byte) []byte {
	count := uint32(len(entries))
	for i, e := range entries {
		start := len(buf)
		n := frameHeaderV2 - 8 + len(e)
		buf = binary.BigEndian.AppendUint32(buf, frameV2|uint32(n))
		buf = append(buf, 0, 0, 0, 0) // CRC, set below
		buf = binary.BigEndian.AppendUint64(buf, first+uint64(i))
		buf = binary.BigEndian.AppendUint32(buf, uint32(i))
		buf = binary.BigEndian.AppendUint32(buf, count)
		buf = append(buf, e...)
		crc := crc32.Update(crc32.Checksum(buf[start:start+4], castagnoli), castagnoli, buf[start+8:])
		binary.BigEndian.PutUint32(buf[start+4:], crc)
	}
	return buf
}

// parseFrame reads the frame at data[off:], if a whole valid one with a
// sequence number in [lo, hi] is there. The range is checked before the
// CRC, so scanning damaged bytes for the next frame costs little. The entry
// aliases data.
func parseFrame(data []byte, off int64, lo, hi uint64) (frame, bool) {
	d := data[off:]
	if len(d) < frameHeaderV1 {
		return frame{}, false
	}
	word := binary.BigEndian.Uint32(d)
	v2 := word&frameV2 != 0
	n := int(word &^ frameV2)
	hdr := frameHeaderV1
	if v2 {
		hdr = frameHeaderV2
	}
	if n < hdr-8 || n > maxRecord || n > len(d)-8 {
		return frame{}, false
	}
	body := d[8 : 8+n]
	if seq := binary.BigEndian.Uint64(body); seq < lo || seq > hi {
		return frame{}, false
	}
	want := binary.BigEndian.Uint32(d[4:])
	var got uint32
	if v2 {
		got = crc32.Update(crc32.Checksum(d[:4], castagnoli), castagnoli, body)
	} else {
		got = crc32.Checksum(body, castagnoli)
	}
	if got != want {
		return frame{}, false
	}
	f := frame{off: off, end: off + 8 + int64(n), seq: binary.BigEndian.Uint64(body), v2: v2}
	f.entry = body[8:]
	if v2 {
		index, count := binary.BigEndian.Uint32(body[8:]), binary.BigEndian.Uint32(body[12:])
		if index >= count || uint64(index) > f.seq {
			return frame{}, false
		}
		f.batchFirst = f.seq - uint64(index)
		f.entry = body[16:]
	}
	return f, true
}
