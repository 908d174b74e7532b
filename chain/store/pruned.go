package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/merkle"
)

// prefixPruned keys the entry key of every pruned entry by its location,
// so a block with pruned entries can still be shipped (sync carries each
// as its leaf hash and key, chain.PrunedEntry): 'r' issuer height index →
// entry key. Prune writes it as it drops the entry; Append writes it for
// a synced block that arrived with pruned entries.
const prefixPruned = 'r'

func prunedKey(iss chain.IssuerID, height uint64, index uint32) []byte {
	return binary.BigEndian.AppendUint32(blockKey(prefixPruned, iss, height), index)
}

// prunedEntries returns what stands for the entries of block h that are
// gone (nil in entries): their leaf hashes, from the stored tree, and their
// keys. An entry pruned before 'r' keys existed has none; its key is found
// once in the chain's key index, and written back.
func (s *Store) prunedEntries(h *chain.SignedHeader, entries [][]byte) ([]chain.PrunedEntry, error) {
	var out []chain.PrunedEntry
	for i, e := range entries {
		if e == nil {
			out = append(out, chain.PrunedEntry{Index: uint32(i)})
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	tree, err := s.get(blockKey(prefixTree, h.Issuer, h.Height))
	if err != nil {
		return nil, fmt.Errorf("tree of block %d of %s: %w", h.Height, h.Issuer.Short(), err)
	}
	if len(tree) < int(h.EntryCount)*merkle.Size {
		return nil, s.corruptf("tree of block %d of %s has %d bytes for %d leaves", h.Height, h.Issuer.Short(), len(tree), h.EntryCount)
	}
	var missing []int
	for i := range out {
		pe := &out[i]
		copy(pe.Leaf[:], tree[int(pe.Index)*merkle.Size:])
		k, err := s.get(prunedKey(h.Issuer, h.Height, pe.Index))
		switch {
		case err == nil:
			pe.Key = k
		case errors.Is(err, ErrNotFound):
			missing = append(missing, i)
		default:
			return nil, err
		}
	}
	if len(missing) > 0 {
		if err := s.findPrunedKeys(h, out, missing); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// findPrunedKeys fills the keys of out[missing...] from the chain's key
// index (one scan) and writes them as 'r' keys.
func (s *Store) findPrunedKeys(h *chain.SignedHeader, out []chain.PrunedEntry, missing []int) error {
	want := make(map[string]int, len(missing))
	for _, i := range missing {
		want[string(encodeLocation(h.Height, out[i].Index))] = i
	}
	prefix := entryKeyKey(h.Issuer, nil)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return s.readErr(err)
	}
	for it.First(); it.Valid() && len(want) > 0; it.Next() {
		if i, ok := want[string(it.Value())]; ok {
			out[i].Key = bytes.Clone(it.Key()[len(prefix):])
			delete(want, string(it.Value()))
		}
	}
	if err := it.Close(); err != nil {
		return s.readErr(err)
	}
	if len(want) > 0 {
		return s.corruptf("block %d of %s: %d pruned entries have no key in the key index", h.Height, h.Issuer.Short(), len(want))
	}
	b := s.db.NewBatch()
	defer b.Close()
	for _, i := range missing {
		if err := b.Set(prunedKey(h.Issuer, h.Height, out[i].Index), out[i].Key, nil); err != nil {
			return err
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("store: recording pruned keys: %w", err)
	}
	return nil
}
