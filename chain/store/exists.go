package store

import (
	"bytes"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// existing reports which of keys are present. Unlike one Get per key, it
// uses a single iterator that consults the bloom filters of every level,
// the bottom one included (point Gets skip L6 filters), so checking keys
// that do not exist — the common case when appending — touches no data
// blocks. Keys are probed in sorted order.
func (s *Store) existing(keys [][]byte) ([]bool, error) {
	out := make([]bool, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	it, err := s.db.NewIter(&pebble.IterOptions{UseL6Filters: true})
	if err != nil {
		return nil, s.readErr(err)
	}
	for _, i := range order {
		if it.SeekPrefixGE(keys[i]) && bytes.Equal(it.Key(), keys[i]) {
			out[i] = true
		}
	}
	if err := it.Close(); err != nil {
		return nil, s.readErr(err)
	}
	return out, nil
}

// HasKeys reports which of the given entry keys issuer's chain already holds.
func (s *Store) HasKeys(iss [32]byte, keys [][]byte) ([]bool, error) {
	idx := make([][]byte, len(keys))
	for i, k := range keys {
		idx[i] = keyIndexKey(iss, k)
	}
	return s.existing(idx)
}
