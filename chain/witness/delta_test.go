package witness_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/witness"
)

// TestGossipDeltaCarriesOnlyChangedHeads: a statement gossiped as changes
// to the witness's previous one is smaller, decodes to the whole statement
// for a receiver holding that one (its signature verifies), and cannot be
// completed by one that holds none or another.
func TestGossipDeltaCarriesOnlyChangedHeads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wk, members, heads := fixture()
		order := witness.MemberOrder(members)
		first, err := witness.Sign(net, heads, wk)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second)
		moved := append([]witness.Head(nil), heads...)
		moved[1].Height, moved[1].Hash = moved[1].Height+5, hash("moved")
		second, err := witness.Sign(net, moved, wk)
		if err != nil {
			t.Fatal(err)
		}
		full, err := second.MarshalGossip(order)
		if err != nil {
			t.Fatal(err)
		}
		delta, err := second.MarshalGossipDelta(order, first)
		if err != nil {
			t.Fatal(err)
		}
		if len(delta) >= len(full) {
			t.Fatalf("delta of one changed head is %d bytes, the full form %d", len(delta), len(full))
		}
		held := func(iss chain.IssuerID, h uint64) (chain.Hash, bool) {
			for _, x := range moved {
				if x.Issuer == iss && x.Height == h {
					return x.Hash, true
				}
			}
			return chain.Hash{}, false
		}
		base := func(s *witness.Statement) func(chain.IssuerID) *witness.Statement {
			return func(chain.IssuerID) *witness.Statement { return s }
		}
		got, _, err := witness.DecodeMessageWith(delta, order, held, base(first))
		if err != nil {
			t.Fatalf("delta with its base held: %v", err)
		}
		if len(got.Heads) != len(moved) || got.Heads[1] != moved[1] || got.Heads[0] != moved[0] {
			t.Fatalf("merged heads %v, want %v", got.Heads, moved)
		}
		if err := got.Verify(net, members); err != nil {
			t.Fatalf("merged statement: %v", err)
		}
		for name, b := range map[string]*witness.Statement{"none": nil, "another (itself)": second} {
			if _, _, err := witness.DecodeMessageWith(delta, order, held, base(b)); !errors.Is(err, witness.ErrUnknownBase) {
				t.Errorf("delta with base %s: %v, want ErrUnknownBase", name, err)
			}
		}
		// A full form decodes whatever is held.
		if got, _, err := witness.DecodeMessageWith(full, order, held, base(nil)); err != nil || got.Verify(net, members) != nil {
			t.Fatalf("full form: %v", err)
		}
		// A base whose head at a chain is not the one the delta omits makes
		// another root: the signature does not verify.
		forged := *first
		forged.Heads = append([]witness.Head(nil), first.Heads...)
		forged.Heads[0].Height++
		if got, _, err := witness.DecodeMessageWith(delta, order, held, base(&forged)); err != nil || !errors.Is(got.Verify(net, members), witness.ErrBadSignature) {
			t.Fatalf("delta over another base of the same time: decode %v", err)
		}
	})
}
