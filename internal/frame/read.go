package frame

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/libp2p/go-libp2p/core/network"
)

// Errors of a frame read, besides ErrMalformed and the stream's own read
// errors (io.EOF before the first byte, io.ErrUnexpectedEOF when the stream
// ends inside the frame, a reset, a deadline). Each protocol maps them to
// its own: queryproto to ErrTooLarge, ErrRateLimited and ErrMalformed; p2p
// wraps them with the message it was reading.
var (
	// ErrTooLarge: the length prefix announces more than the cap.
	ErrTooLarge = errors.New("frame: message over the size cap")
	// ErrNoMemory: the resource manager refused the frame's memory.
	ErrNoMemory = errors.New("frame: memory reservation refused")
)

// Unreserved is the largest frame read without reserving its memory.
// Smaller frames are not reserved one by one: the resource manager's
// stream limits bound them, yamux already holds a 256 KiB window per stream
// against the same scope, and a reservation costs as much as a small lookup
// (it walks every scope up to the system, each with a trace event).
const Unreserved = 16 << 10

// Scope is the part of a libp2p stream's resource scope (Stream.Scope()) a
// read needs; nil means no reservation (local calls, fuzzing).
type Scope interface {
	ReserveMemory(size int, prio uint8) error
	ReleaseMemory(size int)
}

// Reserve reserves n bytes of scope when n is above Unreserved, and returns
// the release; the refusal wraps ErrNoMemory. A nil scope reserves nothing.
func Reserve(scope Scope, n int) (release func(), err error) {
	if scope == nil || n <= Unreserved {
		return func() {}, nil
	}
	if err := scope.ReserveMemory(n, network.ReservationPriorityAlways); err != nil {
		return nil, fmt.Errorf("%w: %d bytes: %w", ErrNoMemory, n, err)
	}
	return func() { scope.ReleaseMemory(n) }, nil
}

// Read reads one frame of at most maxBytes from r: the length prefix
// (ReadLength), then, once the memory of the length it announces is
// reserved from scope (Reserve), exactly that many bytes. Memory is
// reserved for the frame actually announced, never for the cap. The caller
// calls release once done with the bytes; on an error nothing is held.
func Read(r *bufio.Reader, scope Scope, maxBytes int) (data []byte, release func(), err error) {
	n, err := ReadLength(r)
	if err != nil {
		return nil, nil, err
	}
	if n > uint64(maxBytes) {
		return nil, nil, fmt.Errorf("%w: %d bytes, cap %d", ErrTooLarge, n, maxBytes)
	}
	if release, err = Reserve(scope, int(n)); err != nil {
		return nil, nil, err
	}
	data = make([]byte, n)
	if _, err := io.ReadFull(r, data); err != nil {
		release()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // the prefix was read: the body is cut
		}
		return nil, nil, fmt.Errorf("reading a frame of %d bytes: %w", n, err)
	}
	return data, release, nil
}

// ReadOne reads the one frame a stream carries (Read) and requires the
// stream to end right after it (ExpectEnd): bytes after the frame wrap
// ErrMalformed.
func ReadOne(r *bufio.Reader, scope Scope, maxBytes int) (data []byte, release func(), err error) {
	if data, release, err = Read(r, scope, maxBytes); err != nil {
		return nil, nil, err
	}
	if err := ExpectEnd(r); err != nil {
		release()
		return nil, nil, err
	}
	return data, release, nil
}
