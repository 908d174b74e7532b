package queryproto_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/libp2p/go-libp2p/core/host"
)

// fillRealChain appends count real sealed payments (chaintest.PaymentEntry
// 0..count-1, whose order IDs open them) to the member's own chain.
func fillRealChain(b *testing.B, m *member, count int) {
	b.Helper()
	iss := chaintest.Issuer(m.key)
	entries := make([][]byte, count)
	for n := range entries {
		e, err := chain.SealPayment(chaintest.NetworkID, iss, chaintest.PaymentRecord(m.key, n))
		if err != nil {
			b.Fatal(err)
		}
		if entries[n], err = chain.EncodeEntry(e); err != nil {
			b.Fatal(err)
		}
	}
	var head *chain.SignedHeader
	per := chaintest.PerBlock()
	for i := 0; i < count; i += per {
		blk, err := chain.NewBlock(chaintest.NetworkID, head, entries[i:min(i+per, count)], chaintest.Key(m.key), chaintest.Epoch.Add(time.Duration(i)*time.Millisecond))
		if err != nil {
			b.Fatal(err)
		}
		vb, err := chain.ValidateBlock(blk, head, m.members, chaintest.Params(), time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if err := m.st.AppendSealed([]*chain.VerifiedBlock{vb}, 0); err != nil {
			b.Fatal(err)
		}
		head = blk.SignedHeader
	}
}

func lightClients(b *testing.B, srv *member, hosts []host.Host) []*queryproto.LightClient {
	var out []*queryproto.LightClient
	for _, h := range hosts {
		lc, err := queryproto.NewLightClient(h, queryproto.Genesis{NetworkID: chaintest.NetworkID, Members: srv.members}, queryproto.WithAnswers(1))
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, lc)
	}
	return out
}

// BenchmarkPaymentBatch measures batch lookups from one member holding
// 50,000 real sealed payments, by 4 light-client hosts with 2 batches in
// flight each. /decoded decodes the answers (Client.PaymentBatch);
// /verified is LightClient.LookupBatch, every record checked as a single
// Lookup checks it (signature through the cache of verified headers,
// membership and role, Merkle path, entry, lookup hash, the sealed record
// opened with its order ID). Order IDs are drawn in a stride across the
// whole chain, so a batch meets many blocks. The rate counts answers.
func BenchmarkPaymentBatch(b *testing.B) {
	const records = 50_000
	srv := startMember(b, 0, chaintest.Members(1), nil, unlimited)
	fillRealChain(b, srv, records)
	hosts := benchClients(b, srv, 4)
	lcs := lightClients(b, srv, hosts)
	orderID := func(i int) string { return chaintest.OrderID(0, (i*7919)%records) }
	for _, size := range []int{64, 256} {
		b.Run(fmt.Sprintf("size=%d/decoded", size), func(b *testing.B) {
			c := make([]*queryproto.Client, len(hosts))
			for i, h := range hosts {
				c[i] = queryproto.NewClient(h, chaintest.NetworkID)
			}
			closedLoop(b, len(hosts), 2, "answers/s", size, func(h, i int) error {
				ls := make([][32]byte, size)
				for k := range ls {
					ls[k] = [32]byte(privacy.Lookup(chaintest.NetworkID, orderID(i*size+k)))
				}
				a, err := c[h].PaymentBatch(context.Background(), srv.id(), ls)
				if err != nil {
					return err
				}
				for k := range a.Items {
					if err := a.Items[k].Err(); err != nil {
						return err
					}
				}
				return nil
			})
		})
		b.Run(fmt.Sprintf("size=%d/verified", size), func(b *testing.B) {
			closedLoop(b, len(hosts), 2, "verified/s", size, func(h, i int) error {
				return lookupBatch(lcs[h], srv, size, i, orderID)
			})
		})
	}
}

// lookupBatch looks batch i of size order IDs up and fails unless every
// one verified.
func lookupBatch(lc *queryproto.LightClient, srv *member, size, i int, orderID func(int) string) error {
	ids := make([]string, size)
	for k := range ids {
		ids[k] = orderID(i*size + k)
	}
	out, err := lc.LookupBatch(context.Background(), ids, srv.id())
	if err != nil {
		return err
	}
	for _, r := range out {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

// BenchmarkPaymentBatchPaced offers verified batch lookups (batches of 16,
// LightClient.LookupBatch) at a fixed rate of order IDs per second, open
// loop: a lookup's latency counts from when its batch was due. rate=half
// first measures the closed-loop maximum of the same batches on the same
// hosts (paceProbeBatches of them, 4 hosts × 2 in flight; reported as
// max-verified/s) and then offers half of it.
func BenchmarkPaymentBatchPaced(b *testing.B) {
	const records, size = 50_000, 16
	srv := startMember(b, 0, chaintest.Members(1), nil, unlimited)
	fillRealChain(b, srv, records)
	hosts := benchClients(b, srv, 4)
	lcs := lightClients(b, srv, hosts)
	orderID := func(i int) string { return chaintest.OrderID(0, (i*7919)%records) }
	for _, rate := range []int{0, 5000, 9500} {
		name := fmt.Sprintf("rate=%d", rate)
		if rate == 0 {
			name = "rate=half"
		}
		b.Run(name, func(b *testing.B) {
			offered, maxRate := float64(rate), 0.0
			if rate == 0 {
				maxRate = closedLoopRate(b, lcs, srv, size, orderID)
				offered = maxRate / 2
			}
			paced(b, lcs, srv, size, offered, orderID)
			// After paced: its b.ResetTimer drops metrics reported before.
			if maxRate > 0 {
				b.ReportMetric(maxRate, "max-verified/s")
			}
			b.ReportMetric(offered, "offered/s")
		})
	}
}

// paceProbeBatches bounds the closed-loop run that finds the maximum rate.
const paceProbeBatches = 600

// closedLoopRate returns the verified answers per second that batches of
// size reach with 2 in flight per client host.
func closedLoopRate(b *testing.B, lcs []*queryproto.LightClient, srv *member, size int, orderID func(int) string) float64 {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for h := range lcs {
		for range 2 {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= paceProbeBatches {
						return
					}
					if err := lookupBatch(lcs[h], srv, size, i, orderID); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	return float64(paceProbeBatches*size) / time.Since(start).Seconds()
}

// paced offers b.N batches of size at rate order IDs per second, open loop
// (each batch due at its slot, latency counted from then), bounded to 32
// batches in flight per client host (the resource manager's outbound
// stream limit per peer), and reports the rate reached and the latency
// percentiles of the verified answers (every answer of a batch has its
// batch's latency).
func paced(b *testing.B, lcs []*queryproto.LightClient, srv *member, size int, rate float64, orderID func(int) string) {
	lat := make([]time.Duration, b.N)
	interval := time.Duration(float64(time.Second) * float64(size) / rate)
	var failed atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	sems := make([]chan struct{}, len(lcs))
	for i := range sems {
		sems[i] = make(chan struct{}, 32)
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		sem := sems[i%len(sems)]
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			err := lookupBatch(lcs[i%len(lcs)], srv, size, i, orderID)
			lat[i] = time.Since(due)
			if err != nil && failed.Add(1) == 1 {
				first.Store(err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d batches failed; the first: %v", n, b.N, first.Load())
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N*size)/elapsed.Seconds(), "verified/s")
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
}
