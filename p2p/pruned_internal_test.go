package p2p

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/merkle"
)

// A whole block ships as the bytes of its chain.v1.Block; one with pruned
// entries round-trips with its leaf hashes and keys.
func TestSyncBlockForm(t *testing.T) {
	p := chaintest.Params()
	entries := make([][]byte, 8)
	for i := range entries {
		entries[i] = chaintest.CreditEventEntry(i)
	}
	whole, err := chain.NewBlock(chaintest.NetworkID, nil, entries, chaintest.Key(0), chaintest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encodeSyncBlock(whole), whole.Marshal()) {
		t.Fatal("a whole block does not ship as its chain.v1.Block")
	}
	pruned := &chain.Block{SignedHeader: whole.SignedHeader, Entries: append([][]byte(nil), entries...)}
	for _, i := range []uint32{3, 7} {
		e, _ := chain.DecodeEntry(entries[i], 1<<20)
		pruned.Pruned = append(pruned.Pruned, chain.PrunedEntry{Index: i, Leaf: merkle.LeafHash(entries[i]), Key: chain.EntryKey(e)})
		pruned.Entries[i] = nil
	}
	got, err := decodeSyncBlock(encodeSyncBlock(pruned), p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash != whole.Hash || fmt.Sprint(got.Pruned) != fmt.Sprint(pruned.Pruned) || len(got.Entries) != 8 || len(got.Entries[3]) != 0 {
		t.Fatalf("round trip: %+v", got)
	}
	if _, err := chain.ValidateSynced(got, nil, chaintest.Members(1), p, chaintest.Epoch); err != nil {
		t.Fatal(err)
	}
}
