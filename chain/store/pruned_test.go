package store

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/merkle"
)

// withdrawal is a block of issuer 3 after head withdrawing the entry of
// the given key.
func withdrawal(t *testing.T, head *chain.SignedHeader, target []byte) *chain.Block {
	t.Helper()
	fix, err := chain.EncodeEntry(&chainpb.Entry{Body: &chainpb.Entry_Correction{Correction: &chainpb.Correction{
		CorrectionId: "FIX-PRUNED", TargetKey: target, Action: chainpb.CorrectionAction_CORRECTION_ACTION_WITHDRAW, Reason: "reported in error",
	}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := chain.NewBlock(chaintest.NetworkID, head, [][]byte{fix}, chaintest.Key(3), chaintest.Epoch.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A block whose expired entries were pruned reads back with their leaf
// hashes and keys; another store takes it through ValidateSynced, keeps
// the pruned keys taken (a reuse is refused, a later correction of one is
// accepted), serves it the same way, and checks clean.
func TestPrunedBlockMovesToAnotherStore(t *testing.T) {
	ctx := context.Background()
	srcDir, dstDir := t.TempDir(), t.TempDir()
	src, err := Open(srcDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	whole := lenderBlock(t) // entries 3 and 7 are overdue
	e3, _ := chain.DecodeEntry(whole.Entries[3], 4096)
	key3 := chain.EntryKey(e3)
	fix := withdrawal(t, whole.SignedHeader, key3)
	if err := src.Append(mustVerify(t, nil, whole, fix)...); err != nil {
		t.Fatal(err)
	}
	if n, err := src.Prune(ctx, chaintest.Epoch.AddDate(6, 0, 0)); err != nil || n != 2 {
		t.Fatalf("pruned %d: %v", n, err)
	}
	iss := chaintest.Issuer(3)
	b, err := src.Block(iss, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Pruned) != 2 || b.Pruned[0].Index != 3 || b.Pruned[1].Index != 7 {
		t.Fatalf("pruned entries of the read block: %+v", b.Pruned)
	}
	for _, pe := range b.Pruned {
		e, _ := chain.DecodeEntry(whole.Entries[pe.Index], 4096)
		if pe.Leaf != merkle.LeafHash(whole.Entries[pe.Index]) || !bytes.Equal(pe.Key, chain.EntryKey(e)) || b.Entries[pe.Index] != nil {
			t.Fatalf("pruned entry %d reads back as %+v", pe.Index, pe)
		}
	}

	dst, err := Open(dstDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	vb, err := chain.ValidateSynced(b, nil, testMembers, testParams, chaintest.Epoch.AddDate(6, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.Append(vb); err != nil {
		t.Fatalf("storing a block with pruned entries: %v", err)
	}
	// The correction of the pruned entry needs its key in the index.
	if err := dst.Append(mustVerify(t, whole.SignedHeader, fix)...); err != nil {
		t.Fatalf("a correction of a pruned entry: %v", err)
	}
	if found, err := dst.HasKeys(iss, [][]byte{key3}); err != nil || !found[0] {
		t.Fatalf("the pruned key is not taken: %v, %v", found, err)
	}
	reuse, err := chain.NewBlock(chaintest.NetworkID, fix.SignedHeader, [][]byte{whole.Entries[3]}, chaintest.Key(3), chaintest.Epoch.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.Append(mustVerify(t, fix.SignedHeader, reuse)...); !errors.Is(err, chain.ErrDuplicateKey) {
		t.Fatalf("reusing a pruned key: %v, want ErrDuplicateKey", err)
	}
	again, err := dst.Block(iss, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Pruned) != 2 || again.Pruned[0].Leaf != b.Pruned[0].Leaf || !bytes.Equal(again.Pruned[1].Key, b.Pruned[1].Key) {
		t.Fatalf("the receiving store reads back %+v, want %+v", again.Pruned, b.Pruned)
	}
	if _, err := dst.Entry(Location{Issuer: iss, Height: 1, Index: 3}); !errors.Is(err, ErrPruned) {
		t.Fatalf("reading a pruned entry of a synced block: %v, want ErrPruned", err)
	}
	if p, err := dst.Proof(Location{Issuer: iss, Height: 1, Index: 2}); err != nil || p.Verify(testMembers, chaintest.NetworkID) != nil {
		t.Fatalf("proof of a kept entry beside pruned ones: %v", err)
	}
	src.Close()
	dst.Close()
	for _, dir := range []string{srcDir, dstDir} {
		if r := mustCheck(t, dir); !r.OK() || r.Pruned != 2 {
			t.Fatalf("check of %s: pruned %d, problems %v", dir, r.Pruned, r.Problems)
		}
	}
}

// An entry pruned before its key was recorded by location still ships:
// its key is found in the key index, once, and recorded.
func TestPrunedKeyFoundInTheKeyIndex(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	whole := lenderBlock(t)
	if err := s.Append(mustVerify(t, nil, whole)...); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prune(context.Background(), chaintest.Epoch.AddDate(6, 0, 0)); err != nil {
		t.Fatal(err)
	}
	iss := chaintest.Issuer(3)
	for _, i := range []uint32{3, 7} {
		if err := s.db.Delete(prunedKey(iss, 1, i), pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
	b, err := s.Block(iss, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chain.ValidateSynced(b, nil, testMembers, testParams, chaintest.Epoch.AddDate(6, 0, 0)); err != nil {
		t.Fatalf("the block read without recorded keys: %v", err)
	}
	for _, i := range []uint32{3, 7} {
		e, _ := chain.DecodeEntry(whole.Entries[i], 4096)
		if k, err := s.get(prunedKey(iss, 1, i)); err != nil || !bytes.Equal(k, chain.EntryKey(e)) {
			t.Fatalf("key of pruned entry %d not recorded: %x, %v", i, k, err)
		}
	}
}
