package frame

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestReadLength(t *testing.T) {
	for name, tc := range map[string]struct {
		in   []byte
		want uint64
		err  error
	}{
		"0":                  {[]byte{0x00}, 0, nil},
		"127":                {[]byte{0x7f}, 127, nil},
		"128":                {[]byte{0x80, 0x01}, 128, nil},
		"2^32-1":             {[]byte{0xff, 0xff, 0xff, 0xff, 0x0f}, 1<<32 - 1, nil},
		"nothing":            {nil, 0, io.EOF},
		"half a prefix":      {[]byte{0x80}, 0, io.ErrUnexpectedEOF},
		"0 in two bytes":     {[]byte{0x80, 0x00}, 0, ErrMalformed},
		"3 in two bytes":     {[]byte{0x83, 0x00}, 0, ErrMalformed},
		"128 in three bytes": {[]byte{0x80, 0x81, 0x00}, 0, ErrMalformed},
		"2^32":               {[]byte{0x80, 0x80, 0x80, 0x80, 0x10}, 0, ErrMalformed},
		"six bytes":          {[]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 0, ErrMalformed},
	} {
		got, err := ReadLength(bytes.NewReader(tc.in))
		if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) || got != tc.want {
			t.Errorf("%s: %d %v, want %d %v", name, got, err, tc.want, tc.err)
		}
	}
}

func TestExpectEnd(t *testing.T) {
	if err := ExpectEnd(bytes.NewReader(nil)); err != nil {
		t.Errorf("the end: %v", err)
	}
	if err := ExpectEnd(bytes.NewReader([]byte{0})); !errors.Is(err, ErrMalformed) {
		t.Errorf("a byte: %v, want ErrMalformed", err)
	}
	reset := errors.New("stream reset")
	if err := ExpectEnd(byteReaderOf(iotest.ErrReader(reset))); !errors.Is(err, reset) || errors.Is(err, ErrMalformed) {
		t.Errorf("a reset: %v, want the reset", err)
	}
}

type byteReader struct{ r io.Reader }

func (b byteReader) ReadByte() (byte, error) {
	var p [1]byte
	_, err := io.ReadFull(b.r, p[:])
	return p[0], err
}

func byteReaderOf(r io.Reader) io.ByteReader { return byteReader{r} }
