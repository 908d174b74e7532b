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
// blocks. The memtables are searched only for keys the recent-key set
// says may be there (recent.go). Keys are probed in sorted order.
func (s *Store) existing(keys [][]byte) ([]bool, error) {
	out := make([]bool, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	// Before the iterators open (see recentKeys).
	recent := s.recent.mayHold(keys)
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	var again []int
	if err := s.probe(keys, order, out, !s.recent.off, func(i int) bool {
		if recent[i] {
			again = append(again, i)
			return false
		}
		return true
	}); err != nil {
		return nil, err
	}
	if len(again) > 0 {
		if err := s.probe(keys, again, out, false, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// probe sets out[i] for the keys at order (sorted) that want allows;
// tablesOnly leaves the memtables out.
func (s *Store) probe(keys [][]byte, order []int, out []bool, tablesOnly bool, want func(int) bool) error {
	it, err := s.db.NewIter(&pebble.IterOptions{UseL6Filters: true, OnlyReadGuaranteedDurable: tablesOnly})
	if err != nil {
		return s.readErr(err)
	}
	for _, i := range order {
		if want != nil && !want(i) {
			continue
		}
		if it.SeekPrefixGE(keys[i]) && bytes.Equal(it.Key(), keys[i]) {
			out[i] = true
		}
	}
	return s.readErr(it.Close())
}

// HasKeys reports which of the given entry keys issuer's chain already holds.
func (s *Store) HasKeys(iss [32]byte, keys [][]byte) ([]bool, error) {
	idx := make([][]byte, len(keys))
	for i, k := range keys {
		idx[i] = s.keyIndexKey(iss, k)
	}
	return s.existing(idx)
}
