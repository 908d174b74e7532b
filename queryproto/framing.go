package queryproto

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/credmesh/credmesh/internal/frame"

	"google.golang.org/protobuf/proto"
)

// Every message on a query stream is uvarint(length) || protobuf bytes, as
// google.golang.org/protobuf/encoding/protodelim writes it, and is read by
// the one reader of every protocol (internal/frame): the read is capped,
// and the memory of a frame larger than frame.Unreserved is reserved from
// the stream's resource scope, for the length announced, before it is read,
// so a peer can make us hold neither more than the cap nor more than the
// resource manager grants it. The frame's errors map to ours: over the cap
// is ErrTooLarge, a refused reservation ErrRateLimited, broken framing
// ErrMalformed. Smaller frames are bounded by the resource manager's stream
// limits (32 inbound query streams per peer × 16 KiB).

// memoryScope is the part of network.StreamScope a read needs; nil means
// no reservation (local calls, fuzzing).
type memoryScope = frame.Scope

// reserve reserves n bytes of scope for a frame above frame.Unreserved (a
// response we write) and returns the release.
func reserve(scope memoryScope, n int) (release func(), err error) {
	release, err = frame.Reserve(scope, n)
	return release, frameError(err)
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
	data, release, err = frame.ReadOne(br, scope, maxBytes)
	return data, release, frameError(err)
}

// readFrame reads one frame of at most maxBytes (frame.Read), reserving its
// size from scope first when it is large. The caller calls release once
// done with the bytes.
func readFrame(r *bufio.Reader, scope memoryScope, maxBytes int) (data []byte, release func(), err error) {
	data, release, err = frame.Read(r, scope, maxBytes)
	return data, release, frameError(err)
}

// marshalFrame returns the frame of m, refusing to build one over maxBytes.
func marshalFrame(m proto.Message, maxBytes int) ([]byte, error) {
	size := proto.Size(m)
	if size > maxBytes {
		return nil, fmt.Errorf("%w: %T of %d bytes, cap %d", ErrTooLarge, m, size, maxBytes)
	}
	buf := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+size), uint64(size))
	// proto.Size left every message's size cached: the marshal reuses it
	// instead of walking the message a second time.
	return proto.MarshalOptions{Deterministic: true, UseCachedSize: true}.MarshalAppend(buf, m)
}

// frameError adds our sentinel to a frame-level error; a read failure of
// the stream (EOF, reset, deadline) is returned as it is.
func frameError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, frame.ErrTooLarge):
		return fmt.Errorf("%w: %w", ErrTooLarge, err)
	case errors.Is(err, frame.ErrNoMemory):
		return fmt.Errorf("%w: %w", ErrRateLimited, err)
	case errors.Is(err, frame.ErrMalformed):
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return err
}
