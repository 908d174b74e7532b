package queryproto

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

func TestReadFrame(t *testing.T) {
	read := func(b []byte) ([]byte, error) {
		data, release, err := readFrame(bufio.NewReader(bytes.NewReader(b)), nil, 100)
		if err == nil {
			release()
		}
		return data, err
	}
	if data, err := read(append(binary.AppendUvarint(nil, 3), "abc"...)); err != nil || string(data) != "abc" {
		t.Fatalf("a good frame: %q %v", data, err)
	}
	if data, err := read([]byte{0}); err != nil || len(data) != 0 {
		t.Fatalf("an empty frame: %q %v", data, err)
	}
	for name, tc := range map[string]struct {
		in   []byte
		want error
	}{
		"nothing":          {nil, io.EOF},
		"half a prefix":    {[]byte{0x80}, io.ErrUnexpectedEOF},
		"over the cap":     {binary.AppendUvarint(nil, 101), ErrTooLarge},
		"short body":       {append(binary.AppendUvarint(nil, 5), "ab"...), io.ErrUnexpectedEOF},
		"11-byte prefix":   {bytes.Repeat([]byte{0xff}, 11), ErrMalformed},
		"65-bit prefix":    {append(bytes.Repeat([]byte{0xff}, 9), 0x02), ErrMalformed},
		"max 64-bit value": {append(bytes.Repeat([]byte{0xff}, 9), 0x01), ErrTooLarge},
	} {
		if _, err := read(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}
