// Package frame reads the framing of credmesh's stream protocols (status,
// sync, query) strictly, as docs/PROTOCOL.md section 4 states it: every
// message is uvarint(length) || message, the length prefix is a minimal
// varint of at most five bytes whose value fits in 32 bits, and a stream
// carries one message each way, so a message is followed by the end of the
// stream.
//
// ReadOne is the one reader of every protocol: the length prefix, the cap,
// a reservation from the stream's resource scope of the length announced
// (above Unreserved), exactly the announced bytes, then the end of the
// stream. Its errors are frame-level (ErrTooLarge, ErrNoMemory,
// ErrMalformed, or the stream's read error) and each protocol maps them to
// its own.
package frame

import (
	"errors"
	"fmt"
	"io"
	"math"
)

// ErrMalformed is wrapped by every refusal of framing that breaks the rules.
var ErrMalformed = errors.New("frame: malformed framing")

// MaxPrefixLen is the longest length prefix: five bytes hold 32 bits.
const MaxPrefixLen = 5

// ReadLength reads a length prefix: a minimal varint (no final 0x00 byte
// after the first) of at most MaxPrefixLen bytes, whose value fits in 32
// bits; anything else wraps ErrMalformed. A read failure is returned as it
// is: io.EOF when the stream ended before the first byte, and
// io.ErrUnexpectedEOF when it ended inside the prefix.
func ReadLength(r io.ByteReader) (uint64, error) {
	var x uint64
	for i := range MaxPrefixLen {
		b, err := r.ReadByte()
		if err != nil {
			if i > 0 && err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		x |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			switch {
			case b == 0 && i > 0:
				return 0, fmt.Errorf("%w: length prefix of %d bytes where %d suffice", ErrMalformed, i+1, i)
			case x > math.MaxUint32:
				return 0, fmt.Errorf("%w: length prefix %d does not fit in 32 bits", ErrMalformed, x)
			}
			return x, nil
		}
	}
	return 0, fmt.Errorf("%w: length prefix longer than %d bytes", ErrMalformed, MaxPrefixLen)
}

// ExpectEnd requires r to end, as the peer's half-close or close ends a
// stream after its one message: nil on io.EOF, an error wrapping
// ErrMalformed if a byte follows, and the read error otherwise (a reset, a
// deadline).
func ExpectEnd(r io.ByteReader) error {
	switch _, err := r.ReadByte(); {
	case err == io.EOF:
		return nil
	case err == nil:
		return fmt.Errorf("%w: bytes after the message", ErrMalformed)
	default:
		return fmt.Errorf("after the message: %w", err)
	}
}
