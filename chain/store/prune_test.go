package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
)

// creditChain returns blocks of lender 3, each of size credit events
// (every fourth overdue, so expiring five years after it happened).
func creditChain(t *testing.T, blocks, size int) []*chain.Block {
	t.Helper()
	var out []*chain.Block
	var head *chain.SignedHeader
	for i := range blocks {
		entries := make([][]byte, size)
		for j := range entries {
			entries[j] = chaintest.CreditEventEntry(i*size + j)
		}
		b, err := chain.NewBlock(chaintest.NetworkID, head, entries, chaintest.Key(3), chaintest.Epoch.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
		head = b.SignedHeader
	}
	return out
}

// Pruning more entries than one batch holds drops every due entry, while
// another chain is appended at the same time, and leaves every block
// provable.
func TestPruneInBatchesBesideAppends(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	lender := creditChain(t, 8, 400) // 3,200 events, 800 overdue: several batches
	if err := s.Append(verify(t, lender...)...); err != nil {
		t.Fatal(err)
	}
	payments := verify(t, chaintest.Chain(0, 50, 50, 50, 50, 50, 50, 50, 50)...)

	appended := make(chan error, 1)
	go func() {
		for _, vb := range payments {
			if err := s.Append(vb); err != nil {
				appended <- err
				return
			}
		}
		appended <- nil
	}()
	n, err := s.Prune(context.Background(), chaintest.Epoch.AddDate(6, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := <-appended; err != nil {
		t.Fatalf("append beside pruning: %v", err)
	}
	if n != 800 {
		t.Fatalf("pruned %d entries, want the 800 overdue ones", n)
	}
	for height := uint64(1); height <= 8; height++ {
		for _, i := range []uint32{2, 3} { // 3 is overdue and pruned, 2 is not
			loc := store.Location{Issuer: chaintest.Issuer(3), Height: height, Index: i}
			_, err := s.Entry(loc)
			if i == 3 && !errors.Is(err, store.ErrPruned) || i == 2 && err != nil {
				t.Fatalf("entry %d of block %d after pruning: %v", i, height, err)
			}
		}
		p, err := s.Proof(store.Location{Issuer: chaintest.Issuer(3), Height: height, Index: 2})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Verify(members, chaintest.NetworkID); err != nil {
			t.Fatalf("block %d no longer proves its entries: %v", height, err)
		}
	}
	if h := s.Head(chaintest.Issuer(0)); h == nil || h.Height != 8 {
		t.Fatalf("the chain appended beside pruning has head %v, want height 8", h)
	}
}

// A pass whose context ends stops between batches with the context's
// error; the next pass prunes the rest.
func TestPruneStopsWithItsContext(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	if err := s.Append(verify(t, creditChain(t, 4, 400)...)...); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n, err := s.Prune(ctx, chaintest.Epoch.AddDate(6, 0, 0))
	if !errors.Is(err, context.Canceled) || n != 0 {
		t.Fatalf("pass with an ended context pruned %d: %v", n, err)
	}
	n, err = s.Prune(context.Background(), chaintest.Epoch.AddDate(6, 0, 0))
	if err != nil || n != 400 {
		t.Fatalf("next pass pruned %d, want 400: %v", n, err)
	}
}
