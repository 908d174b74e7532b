package witness_test

import (
	"crypto/ed25519"
	"fmt"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/witness"
)

// BenchmarkWitnessPeriod is one peer's witness work for one period in a
// network of n members, each with a chain: sign its own statement and
// decode and verify the n-1 others (gossip form). It reports the bytes one
// statement takes on the wire; BenchmarkEd25519Verify is the baseline.
func BenchmarkWitnessPeriod(b *testing.B) {
	for _, n := range []int{20, 100} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			keys := make([]ed25519.PrivateKey, n)
			members := chain.Members{}
			for i := range keys {
				var id chain.IssuerID
				keys[i], id = key(byte(i + 1))
				members[id] = chain.AllRoles
			}
			order := witness.MemberOrder(members)
			heads := make([]witness.Head, n)
			held := map[chain.IssuerID]chain.Hash{}
			for i, id := range order {
				heads[i] = witness.Head{Issuer: id, Height: 100_000 + uint64(i), Hash: hash(fmt.Sprint(i))}
				held[id] = heads[i].Hash
			}
			msgs := make([][]byte, n)
			for i := range keys {
				s, err := witness.Sign(net, heads, keys[i])
				if err != nil {
					b.Fatal(err)
				}
				if msgs[i], err = s.MarshalGossip(order); err != nil {
					b.Fatal(err)
				}
			}
			lookup := func(iss chain.IssuerID, _ uint64) (chain.Hash, bool) { h, ok := held[iss]; return h, ok }
			b.ResetTimer()
			for b.Loop() {
				if _, err := witness.Sign(net, heads, keys[0]); err != nil {
					b.Fatal(err)
				}
				for _, m := range msgs[1:] {
					s, _, err := witness.DecodeMessage(m, order, lookup)
					if err != nil {
						b.Fatal(err)
					}
					if err := s.Verify(net, members); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(len(msgs[0])), "bytes/statement")
		})
	}
}

func BenchmarkEd25519Verify(b *testing.B) {
	k, id := key(1)
	msg := []byte("baseline")
	sig := ed25519.Sign(k, msg)
	for b.Loop() {
		ed25519.Verify(id[:], msg, sig)
	}
}
