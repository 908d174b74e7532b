package p2p

import (
	"bufio"
	"fmt"
	"io"

	"github.com/credmesh/credmesh/internal/frame"
	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/proto"
)

// Every message on our streams is uvarint(length) || protobuf, one each
// way, read by the one reader of every protocol (internal/frame): a peer
// cannot make us buffer more than the cap, and the memory of a frame above
// frame.Unreserved is reserved from the stream's resource scope for the
// length it announces, before its body is read.

func writeMsg(w io.Writer, m proto.Message) error {
	_, err := protodelim.MarshalTo(w, m)
	return err
}

// readMsg reads the one message of r strictly (docs/PROTOCOL.md section 4,
// frame.ReadOne): a minimal length prefix of at most maxBytes, the message,
// then the end of the stream, reserving the message's memory from scope
// (the stream's, nil for none) while the caller uses it. The caller calls
// release once done with m; on an error nothing is held. A frame-level
// error (frame.ErrTooLarge, frame.ErrNoMemory, frame.ErrMalformed) is
// wrapped with the message it was reading.
func readMsg(r io.Reader, scope frame.Scope, m proto.Message, maxBytes int) (release func(), err error) {
	data, release, err := frame.ReadOne(bufio.NewReader(r), scope, maxBytes)
	if err == nil {
		if err = proto.Unmarshal(data, m); err != nil {
			release()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("p2p: reading %T (limit %d bytes): %w", m, maxBytes, err)
	}
	return release, nil
}
