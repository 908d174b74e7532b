package queryproto

import (
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/privacy"
)

// BenchmarkVerifyBatchProofs measures a light client's checks of the
// records of a batch answer on one core: per record the lookup hash of
// its order ID, the proof (network, membership, the header's signature,
// the Merkle path of a block of 256), the payments role, the entry, the
// sealed record opened with the order ID. /cached checks one block's
// header signature once (the cache of verified headers); /uncached, as
// a cache miss every time, checks it for every record.
func BenchmarkVerifyBatchProofs(b *testing.B) {
	const n = 256
	entries := make([][]byte, n)
	ids := make([]string, n)
	for i := range entries {
		entries[i] = chaintest.PaymentEntry(0, i)
		ids[i] = chaintest.OrderID(0, i)
	}
	proofs := blockProofs(b, 0, entries...)
	g := Genesis{NetworkID: chaintest.NetworkID, Members: chaintest.Members(1)}
	for _, cached := range []bool{true, false} {
		name := "cached"
		if !cached {
			name = "uncached"
		}
		b.Run(name, func(b *testing.B) {
			lc := &LightClient{genesis: g, verified: newHeaderCache(DefaultVerifiedHeaders)}
			b.ResetTimer()
			cpu0 := CPUTime()
			for i := range b.N {
				k := i % n
				if !cached {
					lc.verified = newHeaderCache(1)
				}
				l := &lookup{lc: lc, orderID: ids[k], hash: privacy.Lookup(g.NetworkID, ids[k])}
				if _, err := l.verify("", []*chain.Proof{proofs[k]}, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "proofs/s")
			b.ReportMetric(float64(b.N)/(CPUTime()-cpu0).Seconds(), "proofs/cpu-s")
		})
	}
}
