package store_test

import (
	"errors"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
)

// TestDuplicateKeysAcrossFlushes: a key stays taken whether it sits in the
// memtable, in a memtable being flushed or in a table, across several
// rotations of the recent-key set (an in-memory store rotates it every
// 3 MiB of batches).
func TestDuplicateKeysAcrossFlushes(t *testing.T) {
	s, err := store.Open(t.TempDir(), store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	per := chaintest.PerBlock()
	const n = 40_000 // about 10 MiB of batches
	blocks := chaintest.BulkChain(1, nil, 0, n, per)
	var head *chain.SignedHeader
	for _, blk := range blocks {
		vb, err := chain.ValidateBlock(blk, head, members, params, later)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Append(vb); err != nil {
			t.Fatal(err)
		}
		head = blk.SignedHeader
		// Every so often, a key of the oldest, a middle and the newest
		// block must be found.
		if blk.Height%20 == 0 {
			k := int(blk.Height) * per
			keys := [][]byte{key(0), key(k / 2), key(k - 1)}
			found, err := s.HasKeys(chaintest.Issuer(1), keys)
			if err != nil {
				t.Fatal(err)
			}
			for i, f := range found {
				if !f {
					t.Fatalf("after block %d: key %d of the probe not found", blk.Height, i)
				}
			}
		}
	}
	absent, err := s.HasKeys(chaintest.Issuer(1), [][]byte{key(n), key(n + 1)})
	if err != nil || absent[0] || absent[1] {
		t.Fatalf("keys never written: %v %v", absent, err)
	}
	// A block that reuses the first key of the chain is refused.
	dup := chaintest.BulkChain(1, head, 0, 1, per)[0]
	vb, err := chain.ValidateBlock(dup, head, members, params, later)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(vb); !errors.Is(err, chain.ErrDuplicateKey) {
		t.Fatalf("append of a reused key: %v, want %v", err, chain.ErrDuplicateKey)
	}
}

func key(n int) []byte { return append([]byte{chain.KeyPayment}, chaintest.BulkLookup(n)...) }
