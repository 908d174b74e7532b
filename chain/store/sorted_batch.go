package store

import (
	"bytes"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// sortedWrites collects a block's keys and hands them to the batch in key
// order. Pebble inserts a batch into the memtable's skiplist in batch
// order, reusing the previous key's position when the next key lies after
// it; the lookup keys of a block are random hashes, so in entry order
// nearly every one was a search from the top of a list of a hundred
// thousand keys. Sorted, each search starts near the last one.
type sortedWrites struct {
	kvs [][2][]byte
}

// Set records key → value; the key and value must not change until add.
func (w *sortedWrites) Set(key, value []byte) {
	w.kvs = append(w.kvs, [2][]byte{key, value})
}

// add puts every recorded write into b, in key order. The sort is stable:
// a key set twice (a chain's head, by each of its blocks in one batch)
// keeps its last value.
func (w *sortedWrites) add(b *pebble.Batch) error {
	slices.SortStableFunc(w.kvs, func(x, y [2][]byte) int { return bytes.Compare(x[0], y[0]) })
	for _, kv := range w.kvs {
		if err := b.Set(kv[0], kv[1], nil); err != nil {
			return err
		}
	}
	return nil
}
