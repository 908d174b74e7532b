package queryproto

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/credmesh/credmesh/internal/frame"

	"github.com/libp2p/go-libp2p/core/network"
	"google.golang.org/protobuf/proto"
)

// Every message on a query stream is uvarint(length) || protobuf bytes, as
// google.golang.org/protobuf/encoding/protodelim writes it. Reads are
// capped, and the memory of a frame larger than unreservedFrame is reserved
// from the stream's resource scope before it is read, so a peer can make us
// hold neither more than the cap nor more than the resource manager grants
// it. Smaller frames are not reserved one by one: the resource manager's
// stream limits bound them (32 inbound query streams per peer × 16 KiB),
// yamux already holds a 256 KiB window per stream against the same scope,
// and a reservation costs as much as a small lookup (it walks every scope
// up to the system, each with a trace event).

// unreservedFrame is the largest frame read or written without reserving
// its memory.
const unreservedFrame = 16 << 10

// reserve reserves n bytes of scope for a frame above unreservedFrame and
// returns the release.
func reserve(scope memoryScope, n int) (release func(), err error) {
	if scope == nil || n <= unreservedFrame {
		return func() {}, nil
	}
	if err := scope.ReserveMemory(n, network.ReservationPriorityAlways); err != nil {
		return nil, fmt.Errorf("%w: reserving %d bytes: %w", ErrRateLimited, n, err)
	}
	return func() { scope.ReleaseMemory(n) }, nil
}

// readers recycles the buffered readers of streams.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 1024) }}

// readStreamFrame reads the one frame a stream carries, through a pooled
// buffer, and requires the stream to end right after it (the peer's
// half-close): bytes after the frame are ErrMalformed.
func readStreamFrame(r io.Reader, scope memoryScope, maxBytes int) (data []byte, release func(), err error) {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		readers.Put(br)
	}()
	if data, release, err = readFrame(br, scope, maxBytes); err != nil {
		return nil, nil, err
	}
	if err := expectEnd(br); err != nil {
		release()
		return nil, nil, err
	}
	return data, release, nil
}

// expectEnd requires r to end (frame.ExpectEnd); bytes after the frame
// are ErrMalformed.
func expectEnd(r io.ByteReader) error { return malformed(frame.ExpectEnd(r)) }

// marshalFrame returns the frame of m, refusing to build one over maxBytes.
func marshalFrame(m proto.Message, maxBytes int) ([]byte, error) {
	size := proto.Size(m)
	if size > maxBytes {
		return nil, fmt.Errorf("%w: %T of %d bytes, cap %d", ErrTooLarge, m, size, maxBytes)
	}
	buf := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+size), uint64(size))
	return proto.MarshalOptions{Deterministic: true}.MarshalAppend(buf, m)
}

// memoryScope is the part of network.StreamScope a read needs; nil means
// no reservation (local calls, fuzzing).
type memoryScope interface {
	ReserveMemory(size int, prio uint8) error
	ReleaseMemory(size int)
}

// readFrame reads one frame of at most maxBytes, reserving its size from
// scope first when it is large. The caller calls release once done with the bytes.
func readFrame(r *bufio.Reader, scope memoryScope, maxBytes int) (data []byte, release func(), err error) {
	n, err := readUvarint(r)
	if err != nil {
		return nil, nil, err
	}
	if n > uint64(maxBytes) {
		return nil, nil, fmt.Errorf("%w: frame of %d bytes, cap %d", ErrTooLarge, n, maxBytes)
	}
	if release, err = reserve(scope, int(n)); err != nil {
		return nil, nil, err
	}
	data = make([]byte, n)
	if _, err := io.ReadFull(r, data); err != nil {
		release()
		return nil, nil, fmt.Errorf("reading a frame of %d bytes: %w", n, err)
	}
	return data, release, nil
}

// readUvarint reads a length prefix (frame.ReadLength): a prefix that is
// not minimal, longer than five bytes or beyond 32 bits is ErrMalformed; a
// read failure is returned as it is (io.EOF when the stream ended before
// the first byte).
func readUvarint(r io.ByteReader) (uint64, error) {
	n, err := frame.ReadLength(r)
	return n, malformed(err)
}

// malformed adds ErrMalformed to a framing error that breaks the rules.
func malformed(err error) error {
	if errors.Is(err, frame.ErrMalformed) {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return err
}
