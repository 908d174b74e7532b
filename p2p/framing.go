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
// way, and every read is capped: a peer cannot make us buffer more than the
// cap.

func writeMsg(w io.Writer, m proto.Message) error {
	_, err := protodelim.MarshalTo(w, m)
	return err
}

// readMsg reads the one message of r strictly (docs/PROTOCOL.md section 4,
// package frame): a minimal length prefix of at most maxBytes, the message,
// then the end of the stream.
func readMsg(r *bufio.Reader, m proto.Message, maxBytes int) error {
	err := func() error {
		n, err := frame.ReadLength(r)
		if err != nil {
			return err
		}
		if n > uint64(maxBytes) {
			return fmt.Errorf("message of %d bytes is over the cap", n)
		}
		data := make([]byte, n)
		if _, err := io.ReadFull(r, data); err != nil {
			return err
		}
		if err := frame.ExpectEnd(r); err != nil {
			return err
		}
		return proto.Unmarshal(data, m)
	}()
	if err != nil {
		return fmt.Errorf("p2p: reading %T (limit %d bytes): %w", m, maxBytes, err)
	}
	return nil
}
