package chain_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/merkle"
)

// lenderBlock is a block of member 0 holding credit events 0..7; events 3
// and 7 are overdue (negative), the ones a store prunes after expiry.
func lenderBlock(t *testing.T) *chain.Block {
	t.Helper()
	entries := make([][]byte, 8)
	for i := range entries {
		entries[i] = chaintest.CreditEventEntry(i)
	}
	return signed(t, chaintest.Key(0), nil, entries, nil)
}

// prune returns b as a store holds it once the entries at idx are pruned:
// empty entries, and their leaf hashes and keys.
func prune(t *testing.T, b *chain.Block, idx ...uint32) *chain.Block {
	t.Helper()
	out := &chain.Block{SignedHeader: b.SignedHeader, Entries: append([][]byte(nil), b.Entries...)}
	for _, i := range idx {
		e, err := chain.DecodeEntry(b.Entries[i], 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		out.Pruned = append(out.Pruned, chain.PrunedEntry{Index: i, Leaf: merkle.LeafHash(b.Entries[i]), Key: chain.EntryKey(e)})
		out.Entries[i] = nil
	}
	return out
}

// A block with pruned entries validates through sync from the mix of
// entries and leaf hashes, to the same tree as the whole block; gossip
// refuses it.
func TestValidateSyncedChecksTheRootFromEntriesAndLeaves(t *testing.T) {
	members, params := chaintest.Members(3), chaintest.Params()
	whole := lenderBlock(t)
	full, err := chain.ValidateBlock(whole, nil, members, params, now)
	if err != nil {
		t.Fatal(err)
	}
	b := prune(t, whole, 3, 7)
	vb, err := chain.ValidateSynced(b, nil, members, params, now)
	if err != nil {
		t.Fatalf("a block with pruned entries through sync: %v", err)
	}
	if vb.Tree.Root() != full.Tree.Root() || vb.Tree.Root() != whole.EntriesRoot {
		t.Fatal("the tree over entries and leaves differs from the whole block's")
	}
	for i := range whole.Entries {
		if !bytes.Equal(vb.Keys[i], full.Keys[i]) {
			t.Fatalf("key %d is %x, want %x", i, vb.Keys[i], full.Keys[i])
		}
		if pruned := i == 3 || i == 7; (vb.Decoded[i] == nil) != pruned {
			t.Fatalf("entry %d decoded: %v, pruned: %v", i, vb.Decoded[i] != nil, pruned)
		}
	}
	if _, err := chain.ValidateBlock(b, nil, members, params, now); !errors.Is(err, chain.ErrMalformed) {
		t.Fatalf("ValidateBlock (gossip) of a block with pruned entries: %v, want ErrMalformed", err)
	}
	// A block that only lacks an entry, with nothing standing for it,
	// is bad wherever it comes from.
	lacking := &chain.Block{SignedHeader: whole.SignedHeader, Entries: append([][]byte(nil), whole.Entries...)}
	lacking.Entries[3] = nil
	if _, err := chain.ValidateSynced(lacking, nil, members, params, now); !chain.IsProvable(err) {
		t.Fatalf("a block lacking an entry: %v, want a provable error", err)
	}
}

// Every rule of the pruned form.
func TestValidateSyncedRules(t *testing.T) {
	members, params := chaintest.Members(3), chaintest.Params()
	whole := lenderBlock(t)
	for _, tc := range []struct {
		name string
		edit func(b *chain.Block)
		want error
	}{
		{"wrong leaf", func(b *chain.Block) { b.Pruned[0].Leaf[0] ^= 1 }, chain.ErrBadRoot},
		{"leaf of another entry", func(b *chain.Block) { b.Pruned[0].Leaf = merkle.LeafHash(whole.Entries[2]) }, chain.ErrBadRoot},
		{"index past the end", func(b *chain.Block) { b.Pruned[1].Index = 8 }, chain.ErrMalformed},
		{"out of order", func(b *chain.Block) { b.Pruned[0], b.Pruned[1] = b.Pruned[1], b.Pruned[0] }, chain.ErrMalformed},
		{"entry both shipped and pruned", func(b *chain.Block) { b.Entries[3] = whole.Entries[3] }, chain.ErrMalformed},
		{"payment key", func(b *chain.Block) { b.Pruned[0].Key = append([]byte{chain.KeyPayment}, make([]byte, 32)...) }, chain.ErrMalformed},
		{"empty key", func(b *chain.Block) { b.Pruned[0].Key = nil }, chain.ErrMalformed},
		{"key of another entry of the block", func(b *chain.Block) {
			e, _ := chain.DecodeEntry(whole.Entries[2], 1<<20)
			b.Pruned[0].Key = chain.EntryKey(e)
		}, chain.ErrDuplicateKey},
		{"oversized key", func(b *chain.Block) {
			b.Pruned[0].Key = append([]byte{chain.KeyCreditEvent}, bytes.Repeat([]byte("x"), params.MaxEntryBytes)...)
		}, chain.ErrOversized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := prune(t, whole, 3, 7)
			tc.edit(b)
			if _, err := chain.ValidateSynced(b, nil, members, params, now); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}
