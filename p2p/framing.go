package p2p

import (
	"bufio"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/proto"
)

// Every message on our streams is uvarint(length) || protobuf, and every
// read is capped: a peer cannot make us buffer more than the cap.

func writeMsg(w io.Writer, m proto.Message) error {
	_, err := protodelim.MarshalTo(w, m)
	return err
}

func readMsg(r *bufio.Reader, m proto.Message, maxBytes int) error {
	err := protodelim.UnmarshalOptions{MaxSize: int64(maxBytes)}.UnmarshalFrom(r, m)
	if err != nil {
		return fmt.Errorf("p2p: reading %T (limit %d bytes): %w", m, maxBytes, err)
	}
	return nil
}
