package witness_test

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/witness"
)

// BenchmarkWitnessPeriod is one peer's witness work for one period in a
// network of n members, each with a chain: sign its own statement and
// decode and verify the n-1 others (gossip form). form=full sends every
// head; form=delta (what witnesses send between full ones) only the heads
// of the 6 chains that moved, completed from the previous statement held.
// It reports the bytes one statement takes on the wire;
// BenchmarkEd25519Verify is the baseline.
func BenchmarkWitnessPeriod(b *testing.B) {
	for _, n := range []int{20, 100} {
		for _, form := range []string{"full", "delta"} {
			b.Run(fmt.Sprintf("members=%d/form=%s", n, form), func(b *testing.B) {
				benchPeriod(b, n, form == "delta")
			})
		}
	}
}

func benchPeriod(b *testing.B, n int, delta bool) {
	keys := make([]ed25519.PrivateKey, n)
	members := chain.Members{}
	for i := range keys {
		var id chain.IssuerID
		keys[i], id = key(byte(i + 1))
		members[id] = chain.AllRoles
	}
	order := witness.MemberOrder(members)
	prev := make([]witness.Head, n)
	held := map[chain.IssuerID]map[uint64]chain.Hash{}
	for i, id := range order {
		prev[i] = witness.Head{Issuer: id, Height: 100_000 + uint64(i), Hash: hash(fmt.Sprint(i))}
		held[id] = map[uint64]chain.Hash{prev[i].Height: prev[i].Hash}
	}
	heads := slices.Clone(prev)
	for i := range min(6, n) {
		heads[i].Height += 20
		heads[i].Hash = hash(fmt.Sprint("moved", i))
		held[heads[i].Issuer][heads[i].Height] = heads[i].Hash
	}
	bases := map[chain.IssuerID]*witness.Statement{}
	for i := range keys {
		s, err := witness.Sign(net, prev, keys[i])
		if err != nil {
			b.Fatal(err)
		}
		// As if signed a period ago: only the newer statement's
		// signature is checked, against the heads completed from it.
		binary.BigEndian.PutUint64(s.Signature, binary.BigEndian.Uint64(s.Signature)-30)
		bases[s.Witness] = s
	}
	msgs := make([][]byte, n)
	for i := range keys {
		s, err := witness.Sign(net, heads, keys[i])
		if err != nil {
			b.Fatal(err)
		}
		var base *witness.Statement
		if delta {
			base = bases[s.Witness]
		}
		if msgs[i], err = s.MarshalGossipDelta(order, base); err != nil {
			b.Fatal(err)
		}
	}
	lookup := func(iss chain.IssuerID, h uint64) (chain.Hash, bool) { x, ok := held[iss][h]; return x, ok }
	baseOf := func(w chain.IssuerID) *witness.Statement { return bases[w] }
	b.ResetTimer()
	for b.Loop() {
		if _, err := witness.Sign(net, heads, keys[0]); err != nil {
			b.Fatal(err)
		}
		for _, m := range msgs[1:] {
			s, _, err := witness.DecodeMessageWith(m, order, lookup, baseOf)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Verify(net, members); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(msgs[0])), "bytes/statement")
}

func BenchmarkEd25519Verify(b *testing.B) {
	k, id := key(1)
	msg := []byte("baseline")
	sig := ed25519.Sign(k, msg)
	for b.Loop() {
		ed25519.Verify(id[:], msg, sig)
	}
}
