package store

import (
	"encoding/binary"
	"errors"
)

var errCorruptBlob = errors.New("store: corrupt entries record")

// encodeEntries concatenates uvarint(len) entry for every entry.
func encodeEntries(entries [][]byte) []byte {
	n := 0
	for _, e := range entries {
		n += binary.MaxVarintLen32 + len(e)
	}
	out := make([]byte, 0, n)
	for _, e := range entries {
		out = binary.AppendUvarint(out, uint64(len(e)))
		out = append(out, e...)
	}
	return out
}

// decodeEntries splits a blob written by encodeEntries; pruned entries come
// back as nil. The returned slices alias blob.
func decodeEntries(blob []byte, count int) ([][]byte, error) {
	out := make([][]byte, 0, count)
	for len(blob) > 0 {
		n, w := binary.Uvarint(blob)
		if w <= 0 || uint64(len(blob)-w) < n {
			return nil, errCorruptBlob
		}
		blob = blob[w:]
		if n == 0 {
			out = append(out, nil)
		} else {
			out = append(out, blob[:n:n])
		}
		blob = blob[n:]
	}
	if len(out) != count {
		return nil, errCorruptBlob
	}
	return out, nil
}

// entryAt returns a copy of entry i of a blob written by encodeEntries, nil
// if it was pruned, without splitting the rest.
func entryAt(blob []byte, i int) ([]byte, error) {
	for j := 0; len(blob) > 0; j++ {
		n, w := binary.Uvarint(blob)
		if w <= 0 || uint64(len(blob)-w) < n {
			return nil, errCorruptBlob
		}
		blob = blob[w:]
		if j == i {
			if n == 0 {
				return nil, nil
			}
			return append([]byte(nil), blob[:n]...), nil
		}
		blob = blob[n:]
	}
	return nil, errCorruptBlob
}
