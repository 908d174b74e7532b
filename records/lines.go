package records

import (
	"bufio"
	"errors"
	"io"
)

// physLine is one physical line of a file, without its line ending.
type physLine struct {
	num  int    // from 1
	text []byte // nil when long
	size int    // bytes without the line ending
	long bool   // over MaxLineBytes: the text was dropped
}

// lineReader reads physical lines, holding at most MaxLineBytes of one: a
// longer line is read to its end and dropped, so one huge line costs no
// memory and does not end the file.
type lineReader struct {
	r    *bufio.Reader
	num  int
	off  int64
	back []physLine // lines given back, read again first
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line, or io.EOF after the last one.
func (lr *lineReader) next() (physLine, error) {
	if n := len(lr.back); n > 0 {
		l := lr.back[0]
		lr.back = lr.back[1:]
		return l, nil
	}
	var buf []byte
	size := 0 // bytes of the line, its ending included
	newline := false
	for {
		frag, err := lr.r.ReadSlice('\n')
		lr.off += int64(len(frag))
		size += len(frag)
		if size <= MaxLineBytes+2 { // room for "\r\n"
			if buf == nil {
				buf = make([]byte, 0, len(frag))
			}
			buf = append(buf, frag...)
		} else {
			buf = nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && err != io.EOF {
			return physLine{}, err
		}
		if err == io.EOF && size == 0 {
			return physLine{}, io.EOF
		}
		newline = err == nil
		break
	}
	lr.num++
	if newline {
		size--
		if buf != nil {
			buf = buf[:len(buf)-1]
		}
	}
	if buf != nil && len(buf) > 0 && buf[len(buf)-1] == '\r' {
		buf = buf[:len(buf)-1]
		size--
	}
	l := physLine{num: lr.num, text: buf, size: size}
	if size > MaxLineBytes {
		l.text, l.long = nil, true
	}
	if l.text == nil && !l.long {
		l.text = []byte{}
	}
	return l, nil
}

// unread gives lines back to be read again, in order, before the rest.
func (lr *lineReader) unread(ls []physLine) {
	lr.back = append(append([]physLine(nil), ls...), lr.back...)
}
