package store

import (
	"errors"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
)

// countLookupKeys returns how many payment index keys of each length the
// store holds.
func countLookupKeys(t *testing.T, s *Store) map[int]int {
	t.Helper()
	out := map[int]int{}
	it, err := s.db.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	for it.SeekGE([]byte{prefixLookup}); it.Valid() && it.Key()[0] == prefixLookup; it.Next() {
		out[len(it.Key())]++
	}
	return out
}

func lookupsWork(t *testing.T, s *Store, issuers, n int) {
	t.Helper()
	for iss := range issuers {
		for i := range n {
			e, err := chain.DecodeEntry(chaintest.PaymentEntry(iss, i), 4096)
			if err != nil {
				t.Fatal(err)
			}
			locs, err := s.LookupPayment(e.GetPayment().Lookup)
			if err != nil || len(locs) != 1 || locs[0].Issuer != chaintest.Issuer(iss) {
				t.Fatalf("issuer %d payment %d: %v %v", iss, i, locs, err)
			}
			if _, err := s.Proof(locs[0]); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// A new store writes the short payment index keys and finds every payment
// of several issuers through them, before and after a restart; Check
// passes it.
func TestNewStoreWritesShortLookupKeys(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for iss := range 3 {
		if err := s.Append(mustVerify(t, nil, chaintest.Chain(iss, 5, 12)...)...); err != nil {
			t.Fatal(err)
		}
	}
	if got := countLookupKeys(t, s); got[1+32+issuerPrefixLen] != 3*17 || len(got) != 1 {
		t.Fatalf("payment index key lengths %v, want 51 of %d bytes", got, 1+32+issuerPrefixLen)
	}
	lookupsWork(t, s, 3, 17)
	s.Close()
	if s, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	lookupsWork(t, s, 3, 17)
	s.Close()
	if r := mustCheck(t, dir); len(r.Problems) != 0 {
		t.Fatalf("Check: %+v", r.Problems)
	}
}

// A store created before the short form (no mark) keeps writing the long
// keys, and reads them.
func TestOldStoreKeepsLongLookupKeys(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	del(t, s.db, shortLookupMark)
	s.Close()
	if s, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for iss := range 2 {
		if err := s.Append(mustVerify(t, nil, chaintest.Chain(iss, 9)...)...); err != nil {
			t.Fatal(err)
		}
	}
	if got := countLookupKeys(t, s); got[1+32+32] != 18 || len(got) != 1 {
		t.Fatalf("payment index key lengths %v, want 18 of 65 bytes", got)
	}
	lookupsWork(t, s, 2, 9)
	found, err := s.HasKeys(chaintest.Issuer(0), [][]byte{chain.EntryKey(mustDecode(t, chaintest.PaymentEntry(0, 3)))})
	if err != nil || !found[0] {
		t.Fatalf("a stored payment's key not found in the long index: %v %v", found, err)
	}
}

func mustDecode(t *testing.T, b []byte) *chainpb.Entry {
	t.Helper()
	e, err := chain.DecodeEntry(b, 4096)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// A chain whose issuer begins with the same 8 bytes as a held chain's is
// refused, and the store is unchanged.
func TestIssuerPrefixCollisionIsRefused(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Append(mustVerify(t, nil, chaintest.Chain(0, 2)...)...); err != nil {
		t.Fatal(err)
	}
	vb := mustVerify(t, nil, chaintest.Chain(1, 2)...)[0]
	// The same block under an issuer that shares issuer 0's first bytes
	// (the store does not check signatures: Append takes verified blocks).
	blk, sh := *vb.Block, *vb.SignedHeader
	sh.Issuer = chaintest.Issuer(1)
	zero := chaintest.Issuer(0)
	copy(sh.Issuer[:issuerPrefixLen], zero[:issuerPrefixLen])
	blk.SignedHeader = &sh
	fake := *vb
	fake.Block = &blk
	if err := s.Append(&fake); !errors.Is(err, ErrIssuerPrefixTaken) {
		t.Fatalf("Append: %v, want ErrIssuerPrefixTaken", err)
	}
	if s.Head(sh.Issuer) != nil {
		t.Fatal("the refused chain has a head")
	}
	// Its real issuer is fine.
	if err := s.Append(vb); err != nil {
		t.Fatal(err)
	}
}
