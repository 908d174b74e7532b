package frame

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"testing"
)

// scope is a resource scope that grants up to limit bytes and records
// every reservation.
type scope struct {
	limit, held, peak int
	asked             []int
}

var errRefused = errors.New("resource limit exceeded")

func (s *scope) ReserveMemory(n int, _ uint8) error {
	s.asked = append(s.asked, n)
	if s.held+n > s.limit {
		return errRefused
	}
	s.held += n
	s.peak = max(s.peak, s.held)
	return nil
}

func (s *scope) ReleaseMemory(n int) { s.held -= n }

func framed(body []byte) []byte { return append(binary.AppendUvarint(nil, uint64(len(body))), body...) }

func reader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

func TestReadOneGoodFrame(t *testing.T) {
	for _, size := range []int{0, 3, Unreserved, Unreserved + 1, 200 << 10} {
		body := bytes.Repeat([]byte{7}, size)
		sc := &scope{limit: 1 << 20}
		data, release, err := ReadOne(reader(framed(body)), sc, 1<<20)
		if err != nil || !bytes.Equal(data, body) {
			t.Fatalf("a frame of %d bytes: %d bytes, %v", size, len(data), err)
		}
		// Only a large frame is reserved, and for the bytes announced.
		want := []int(nil)
		if size > Unreserved {
			want = []int{size}
		}
		if !slices.Equal(sc.asked, want) || sc.held != sc.peak {
			t.Fatalf("a frame of %d bytes: reserved %v (%d held), want %v held until release", size, sc.asked, sc.held, want)
		}
		release()
		if sc.held != 0 {
			t.Fatalf("a frame of %d bytes: %d bytes still held after release", size, sc.held)
		}
	}
}

// A frame over the cap is refused from its prefix: nothing is reserved,
// nothing read.
func TestReadOneOverTheCap(t *testing.T) {
	sc := &scope{limit: 1 << 30}
	in := append(binary.AppendUvarint(nil, 1<<20+1), make([]byte, 1<<20+1)...)
	r := reader(in)
	if _, _, err := ReadOne(r, sc, 1<<20); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("%v, want ErrTooLarge", err)
	}
	if len(sc.asked) != 0 {
		t.Fatalf("reserved %v for a frame over the cap", sc.asked)
	}
	if r.Buffered() > 4096 {
		t.Fatalf("buffered %d bytes of a frame over the cap", r.Buffered())
	}
}

// A frame whose memory the scope refuses is not read; the error says why.
func TestReadOneReservationRefused(t *testing.T) {
	sc := &scope{limit: 100 << 10}
	_, _, err := ReadOne(reader(framed(make([]byte, 200<<10))), sc, 1<<20)
	if !errors.Is(err, ErrNoMemory) || !errors.Is(err, errRefused) {
		t.Fatalf("%v, want ErrNoMemory wrapping the scope's refusal", err)
	}
	if sc.held != 0 {
		t.Fatalf("%d bytes held after a refusal", sc.held)
	}
}

// A stream that ends inside the frame is cut, not malformed, and what was
// reserved is given back.
func TestReadOneTruncated(t *testing.T) {
	body := make([]byte, 100<<10)
	for name, in := range map[string][]byte{
		"nothing":         nil,
		"half a prefix":   {0x80},
		"no body":         binary.AppendUvarint(nil, uint64(len(body))),
		"half of a body":  framed(body)[:50<<10],
		"one byte short":  framed(body)[:len(framed(body))-1],
		"small body, cut": framed([]byte("abc"))[:2],
	} {
		sc := &scope{limit: 1 << 20}
		_, _, err := ReadOne(reader(in), sc, 1<<20)
		want := io.ErrUnexpectedEOF
		if len(in) == 0 {
			want = io.EOF
		}
		if !errors.Is(err, want) || errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
		if sc.held != 0 {
			t.Errorf("%s: %d bytes held after the failure", name, sc.held)
		}
	}
}

// A stream carries one frame: anything after it is malformed, and the
// reservation is given back.
func TestReadOneTrailingBytes(t *testing.T) {
	good := framed(make([]byte, 20<<10))
	for name, in := range map[string][]byte{
		"a byte after the frame": append(bytes.Clone(good), 0),
		"two frames":             append(bytes.Clone(good), good...),
	} {
		sc := &scope{limit: 1 << 20}
		if _, _, err := ReadOne(reader(in), sc, 1<<20); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
		if sc.held != 0 {
			t.Errorf("%s: %d bytes held after the failure", name, sc.held)
		}
	}
	// Read alone leaves what follows to the caller.
	r := reader(append(bytes.Clone(good), good...))
	if _, release, err := Read(r, nil, 1<<20); err != nil {
		t.Fatalf("Read of the first of two frames: %v", err)
	} else {
		release()
	}
}

// A prefix that breaks the rules is malformed before anything is reserved.
func TestReadOneMalformedPrefix(t *testing.T) {
	sc := &scope{limit: 1 << 30}
	if _, _, err := ReadOne(reader([]byte{0x83, 0x00, 'a', 'b', 'c'}), sc, 100); !errors.Is(err, ErrMalformed) {
		t.Fatalf("3 in two bytes: %v, want ErrMalformed", err)
	}
	if len(sc.asked) != 0 {
		t.Fatalf("reserved %v for a malformed prefix", sc.asked)
	}
}
