package queryproto

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

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

// readStreamFrame reads one frame from r through a pooled buffer.
func readStreamFrame(r io.Reader, scope memoryScope, maxBytes int) (data []byte, release func(), err error) {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		readers.Put(br)
	}()
	return readFrame(br, scope, maxBytes)
}

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

// readUvarint reads a length prefix. A prefix longer than ten bytes or
// beyond 64 bits is ErrMalformed; a read failure is returned as it is
// (io.EOF when the stream ended before the first byte).
func readUvarint(r io.ByteReader) (uint64, error) {
	var x uint64
	for i := range binary.MaxVarintLen64 {
		b, err := r.ReadByte()
		if err != nil {
			if i > 0 && err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				break
			}
			return x | uint64(b)<<(7*i), nil
		}
		x |= uint64(b&0x7f) << (7 * i)
	}
	return 0, fmt.Errorf("%w: length prefix overflows 64 bits", ErrMalformed)
}
