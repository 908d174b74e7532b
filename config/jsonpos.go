package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// jsonIndex locates the values and keys of a syntactically valid JSON
// document, so that errors found after decoding can point at a line and
// column. Paths are written as in error messages: members[2].id.
type jsonIndex struct {
	data   []byte
	values map[string]int64 // path → offset of the value's first byte
	keys   []jsonKey        // every object key, in document order
}

type jsonKey struct {
	parent string // path of the object holding the key
	name   string
	off    int64 // offset of the key's opening quote
}

func indexJSON(data []byte) *jsonIndex {
	ix := &jsonIndex{data: data, values: make(map[string]int64)}
	type frame struct {
		path    string
		array   bool
		n       int    // elements seen, in an array
		key     string // current key, in an object
		wantKey bool
	}
	var stack []frame
	afterValue := func() {
		if len(stack) == 0 {
			return
		}
		top := &stack[len(stack)-1]
		if top.array {
			top.n++
		} else {
			top.wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		off := skipSeparators(data, dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return ix // io.EOF, or a syntax error the decoder reports itself
		}
		delim, isDelim := tok.(json.Delim)
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			if isDelim && (delim == '}' || delim == ']') {
				stack = stack[:len(stack)-1]
				afterValue()
				continue
			}
			if !top.array && top.wantKey {
				name, _ := tok.(string)
				top.key, top.wantKey = name, false
				ix.keys = append(ix.keys, jsonKey{parent: top.path, name: name, off: off})
				continue
			}
		}
		path := ""
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			if top.array {
				path = fmt.Sprintf("%s[%d]", top.path, top.n)
			} else {
				path = joinPath(top.path, top.key)
			}
		}
		ix.values[path] = off
		switch {
		case isDelim && delim == '{':
			stack = append(stack, frame{path: path, wantKey: true})
		case isDelim && delim == '[':
			stack = append(stack, frame{path: path, array: true})
		default:
			afterValue()
		}
	}
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func skipSeparators(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

var indexPart = regexp.MustCompile(`\[\d+\]`)

// stripIndexes turns members[2].id into members.id, the form of
// json.UnmarshalTypeError.Field.
func stripIndexes(path string) string { return indexPart.ReplaceAllString(path, "") }

// valueBefore returns the path of the value, among those whose path without
// indexes is field, that starts last before off: the value an
// UnmarshalTypeError with that Field and Offset is about.
func (ix *jsonIndex) valueBefore(field string, off int64) (string, int64, bool) {
	best, bestOff, found := "", int64(-1), false
	for path, start := range ix.values {
		if start < off && start > bestOff && stripIndexes(path) == field {
			best, bestOff, found = path, start, true
		}
	}
	return best, bestOff, found
}

// position returns the 1-based line and column (in bytes) of offset off.
func position(data []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(data))))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// at returns the position of the value at path; of the object that
// should hold it, when the file leaves it out; or zeros.
func (ix *jsonIndex) at(path string) (line, col int) {
	if ix == nil {
		return 0, 0
	}
	off, ok := ix.values[path]
	for !ok {
		// A field the file leaves out: point at the object that lacks it,
		// but not at the whole document.
		i := strings.LastIndexAny(path, ".[")
		if i <= 0 {
			return 0, 0
		}
		path = path[:i]
		off, ok = ix.values[path]
	}
	return position(ix.data, off)
}
