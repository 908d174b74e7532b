package queryproto

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"
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
		"max 64-bit value": {append(bytes.Repeat([]byte{0xff}, 9), 0x01), ErrMalformed},
		// The prefix is a minimal varint of at most five bytes, in 32 bits.
		"3 in two bytes":        {[]byte{0x83, 0x00, 'a', 'b', 'c'}, ErrMalformed},
		"0 in two bytes":        {[]byte{0x80, 0x00}, ErrMalformed},
		"3 in five bytes":       {[]byte{0x83, 0x80, 0x80, 0x80, 0x00, 'a', 'b', 'c'}, ErrMalformed},
		"six-byte prefix":       {[]byte{0x81, 0x80, 0x80, 0x80, 0x80, 0x00}, ErrMalformed},
		"2^32 in five bytes":    {[]byte{0x80, 0x80, 0x80, 0x80, 0x10}, ErrMalformed},
		"2^32-1 in five bytes":  {[]byte{0xff, 0xff, 0xff, 0xff, 0x0f}, ErrTooLarge},
		"128 in two bytes (ok)": {[]byte{0x80, 0x01}, ErrTooLarge},
	} {
		if _, err := read(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

// A stream carries one frame and ends: bytes after it are malformed.
func TestReadStreamFrameWantsTheEnd(t *testing.T) {
	frame := append(binary.AppendUvarint(nil, 3), "abc"...)
	if data, release, err := readStreamFrame(bytes.NewReader(frame), nil, 100); err != nil || string(data) != "abc" {
		t.Fatalf("a frame and the end: %q %v", data, err)
	} else {
		release()
	}
	if _, _, err := readStreamFrame(bytes.NewReader(append(frame, 0)), nil, 100); !errors.Is(err, ErrMalformed) {
		t.Fatalf("a byte after the frame: %v, want ErrMalformed", err)
	}
	if _, _, err := readStreamFrame(bytes.NewReader(append(frame, frame...)), nil, 100); !errors.Is(err, ErrMalformed) {
		t.Fatalf("two frames: %v, want ErrMalformed", err)
	}
	broken := io.MultiReader(bytes.NewReader(frame), iotest.ErrReader(errors.New("stream reset")))
	if _, _, err := readStreamFrame(broken, nil, 100); err == nil || errors.Is(err, ErrMalformed) {
		t.Fatalf("a reset after the frame: %v, want the read error", err)
	}
}

// refusingScope grants no memory.
type refusingScope struct{}

func (refusingScope) ReserveMemory(int, uint8) error { return errors.New("resource limit exceeded") }
func (refusingScope) ReleaseMemory(int)              {}

// The frame's errors map to ours: a refused reservation of a large frame is
// ErrRateLimited (the server answers RATE_LIMITED), a small frame needs none.
func TestFrameErrorsMapToOurs(t *testing.T) {
	large := append(binary.AppendUvarint(nil, 20<<10), make([]byte, 20<<10)...)
	if _, _, err := readStreamFrame(bytes.NewReader(large), refusingScope{}, 64<<10); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("a refused reservation: %v, want ErrRateLimited", err)
	}
	small := append(binary.AppendUvarint(nil, 3), "abc"...)
	if data, release, err := readStreamFrame(bytes.NewReader(small), refusingScope{}, 64<<10); err != nil || string(data) != "abc" {
		t.Fatalf("a small frame with a refusing scope: %q %v", data, err)
	} else {
		release()
	}
	if _, _, err := readStreamFrame(bytes.NewReader(large), nil, 1<<10); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the cap: %v, want ErrTooLarge", err)
	}
}
