package queryproto

import (
	"bytes"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
)

func signedHeader(t *testing.T, height uint64) *chain.SignedHeader {
	t.Helper()
	h, err := chain.SignHeader(chain.Header{NetworkID: chaintest.NetworkID, Issuer: chaintest.Issuer(0), Height: height, Time: chaintest.Epoch, EntryCount: 1}, chaintest.Key(0))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// A remembered header spares its signature check only with the very
// signature that verified; any other is checked, and a bad one fails.
func TestHeaderCacheKeysBytesAndSignature(t *testing.T) {
	c := newHeaderCache(2)
	h := signedHeader(t, 1)
	if err := c.verify(h); err != nil {
		t.Fatal(err)
	}
	forged := *h
	forged.Signature = bytes.Clone(h.Signature)
	forged.Signature[3] ^= 1
	if err := c.verify(&forged); err == nil {
		t.Fatal("a remembered header with a forged signature passed")
	}
	if err := c.verify(h); err != nil || c.len() != 1 {
		t.Fatalf("the verified header: %v, %d remembered", err, c.len())
	}
}

// The cache holds at most its size and forgets the oldest first.
func TestHeaderCacheIsBounded(t *testing.T) {
	c := newHeaderCache(2)
	hs := []*chain.SignedHeader{signedHeader(t, 1), signedHeader(t, 2), signedHeader(t, 3)}
	for _, h := range hs {
		if err := c.verify(h); err != nil {
			t.Fatal(err)
		}
	}
	if c.len() != 2 {
		t.Fatalf("%d headers remembered, cap 2", c.len())
	}
	c.mu.RLock()
	_, first := c.sigs[hs[0].Hash]
	_, last := c.sigs[hs[2].Hash]
	c.mu.RUnlock()
	if first || !last {
		t.Fatalf("oldest kept %v, newest kept %v", first, last)
	}
}
