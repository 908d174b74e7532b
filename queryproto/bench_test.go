package queryproto_test

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// fillChain appends count bulk payments to the member's own chain.
func fillChain(b *testing.B, m *member, count int) {
	b.Helper()
	var head *chain.SignedHeader
	for _, blk := range chaintest.BulkChain(m.key, nil, 0, count, chaintest.PerBlock()) {
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

func unlimited(c *queryproto.Config) {
	c.PeerRate, c.PeerBurst, c.MembersRate, c.MembersBurst, c.ClientsRate, c.ClientsBurst = 1e9, 1e9, 1e9, 1e9, 1e9, 1e9
}

// percentile returns the p-th percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// BenchmarkPaymentLookup measures payment lookups with proof from one
// member, by light-client hosts on loopback (4 hosts × 16 streams in
// flight). The clients decode the proofs; verifying them (one Ed25519
// verification each, on the same cores as the server) is measured by
// the /verified variant.
func BenchmarkPaymentLookup(b *testing.B) {
	const records = 50_000
	members := chaintest.Members(1)
	srv := startMember(b, 0, members, nil, unlimited)
	fillChain(b, srv, records)
	hosts := benchClients(b, srv, 4)
	clients := make([]*queryproto.Client, len(hosts))
	for i, h := range hosts {
		clients[i] = queryproto.NewClient(h, chaintest.NetworkID)
	}
	for _, verify := range []bool{false, true} {
		name := "decoded"
		if verify {
			name = "verified"
		}
		b.Run(name, func(b *testing.B) {
			closedLoop(b, len(clients), 16, "lookups/s", 1, func(h, i int) error {
				pa, err := clients[h].Payment(context.Background(), srv.id(), [32]byte(chaintest.BulkLookup(i%records)))
				if err == nil && verify {
					err = pa.Proofs[0].Verify(members, chaintest.NetworkID)
				}
				return err
			})
		})
	}
}

// Sizes of the bare round trip: a payment request's frame and a typical
// payment answer's.
const (
	bareRequestBytes  = 40
	bareResponseBytes = 1229 // 1.2 KiB
)

// benchClients starts n light-client hosts connected to srv.
func benchClients(b *testing.B, srv *member, n int) []host.Host {
	b.Helper()
	var hs []host.Host
	for i := range n {
		nw, err := p2p.New(p2p.Config{
			Params: chaintest.Params(), GenesisHash: genesisHash, Members: srv.members, Key: chaintest.Key(100 + i),
			ListenAddrs: loopback(), Logger: testLogger(),
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { nw.Close() })
		if err := nw.Host().Connect(context.Background(), srv.info()); err != nil {
			b.Fatal(err)
		}
		hs = append(hs, nw.Host())
	}
	return hs
}

// closedLoop runs b.N calls of do from hosts × inFlight goroutines and
// reports the rate (as unit) and the latency percentiles.
func closedLoop(b *testing.B, hosts, inFlight int, unit string, perCall int, do func(h, i int) error) {
	lat := make([]time.Duration, b.N)
	var next, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	start, cpu0 := time.Now(), queryproto.CPUTime()
	for h := range hosts {
		for range inFlight {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= b.N {
						return
					}
					t0 := time.Now()
					err := do(h, i)
					lat[i] = time.Since(t0)
					if err != nil && failed.Add(1) == 1 {
						firstErr.Store(err)
					}
				}
			})
		}
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), queryproto.CPUTime()-cpu0
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d calls failed; the first: %v", n, b.N, firstErr.Load())
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*perCall), "cpu-µs/answer")
	slices.Sort(lat)
	b.ReportMetric(float64(b.N*perCall)/elapsed.Seconds(), unit)
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkBareStream is the baseline of the lookup benchmarks: the same
// member host and client hosts as BenchmarkPaymentLookup, the same
// protocol ID (so the same resource-manager scopes), 4 hosts × 16 in
// flight, but a handler that does no work: the client opens a stream,
// writes 40 bytes and half-closes, the server reads them to the end and
// writes 1.2 KiB, the client reads them to the end. It is the most one
// stream per request can reach on this machine.
func BenchmarkBareStream(b *testing.B) {
	srv := startMember(b, 0, chaintest.Members(1), nil, unlimited)
	proto := p2p.QueryProtocol(chaintest.NetworkID)
	resp := make([]byte, bareResponseBytes)
	srv.net.Host().SetStreamHandler(proto, func(st network.Stream) {
		var buf [bareRequestBytes]byte
		if _, err := io.ReadFull(st, buf[:]); err != nil {
			st.Reset()
			return
		}
		if _, err := st.Write(resp); err != nil {
			st.Reset()
			return
		}
		st.Close()
	})
	hosts := benchClients(b, srv, 4)
	req := make([]byte, bareRequestBytes)
	id := srv.id()
	closedLoop(b, len(hosts), 16, "streams/s", 1, func(h, _ int) error {
		return bareRoundTrip(hosts[h], id, proto, req)
	})
}

// bareRoundTrip is one request and response on a new stream.
func bareRoundTrip(h host.Host, p peer.ID, proto protocol.ID, req []byte) error {
	st, err := h.NewStream(context.Background(), p, proto)
	if err != nil {
		return err
	}
	if _, err := st.Write(req); err != nil {
		st.Reset()
		return err
	}
	if err := st.CloseWrite(); err != nil {
		st.Reset()
		return err
	}
	buf := make([]byte, bareResponseBytes+1)
	if n, err := io.ReadFull(st, buf); n != bareResponseBytes {
		st.Reset()
		return fmt.Errorf("read %d bytes of the response: %v", n, err)
	}
	return st.Close()
}

// BenchmarkPaymentLookupPaced offers lookups at a fixed rate (open loop:
// latency counts from when a lookup was due, so a stall is not hidden)
// and reports the latency percentiles at that load.
func BenchmarkPaymentLookupPaced(b *testing.B) {
	const records = 50_000
	members := chaintest.Members(1)
	srv := startMember(b, 0, members, nil, unlimited)
	fillChain(b, srv, records)
	var clients []*queryproto.Client
	for i := range 4 {
		n, err := p2p.New(p2p.Config{
			Params: chaintest.Params(), GenesisHash: genesisHash, Members: members, Key: chaintest.Key(100 + i),
			ListenAddrs: loopback(), Logger: testLogger(),
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { n.Close() })
		if err := n.Host().Connect(context.Background(), srv.info()); err != nil {
			b.Fatal(err)
		}
		clients = append(clients, queryproto.NewClient(n.Host(), chaintest.NetworkID))
	}
	for _, rate := range []int{2000, 4000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			lat := make([]time.Duration, b.N)
			interval := time.Second / time.Duration(rate)
			var failed atomic.Int64
			var wg sync.WaitGroup
			// At most 32 streams in flight per client host: the resource
			// manager's outbound limit per peer for the query protocol.
			sems := make([]chan struct{}, len(clients))
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
				wg.Add(1)
				go func() {
					defer func() { <-sem; wg.Done() }()
					_, err := clients[i%len(clients)].Payment(context.Background(), srv.id(), [32]byte(chaintest.BulkLookup(i%records)))
					lat[i] = time.Since(due)
					if err != nil && failed.Add(1) == 1 {
						b.Logf("first failure: %v", err)
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d of %d lookups failed", n, b.N)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "lookups/s")
			b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkReportFanOut measures a credit report from member 0 to 20
// members on loopback (itself through the local path), every responder
// recording its receipt durably before it answers.
func BenchmarkReportFanOut(b *testing.B) {
	const n = 20
	members := chaintest.Members(n)
	first := startMember(b, 0, members, nil)
	ms := []*member{first}
	for i := 1; i < n; i++ {
		ms = append(ms, startMember(b, i, members, []peer.AddrInfo{first.info()}))
	}
	for _, m := range ms[1:] {
		if err := first.net.Host().Connect(context.Background(), m.info()); err != nil {
			b.Fatal(err)
		}
	}
	// Reports go round a pool of subjects, each with two credit events at
	// every member, so each subject gathers a realistic history of queries
	// rather than one subject gathering all of them.
	var subjects [][]byte
	for i := range 16 {
		subjects = append(subjects, chaintest.Ref(2000+i))
	}
	seedBench(b, ms, subjects)
	r := newReporter(b, first)
	lat := make([]time.Duration, 0, b.N)
	asked := 0
	ask := func(id string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		subject := subjects[asked%len(subjects)]
		asked++
		rep, err := r.Report(ctx, queryproto.ReportRequest{QueryID: id, Subject: privacy.Ref(subject), Purpose: loanPurpose, ConsentRef: "C-" + id})
		if err != nil {
			b.Fatal(err)
		}
		for _, res := range rep.Results {
			if res.Outcome != queryproto.OutcomeAnswered {
				b.Fatalf("member %s: %s: %v", res.Member.Short(), res.Outcome, res.Err)
			}
		}
		lat = append(lat, rep.Elapsed)
	}
	// The first reports meet twenty peers still settling (DHT bootstrap,
	// identify, gossip meshes): leave them out.
	for i := range 20 {
		ask(fmt.Sprintf("warm-up-%d", i))
	}
	lat = lat[:0]
	b.ResetTimer()
	for i := range b.N {
		ask(fmt.Sprintf("Q-bench-%d", i))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
}

// seedBench gives every member two credit events about each subject.
func seedBench(b *testing.B, ms []*member, subjects [][]byte) {
	b.Helper()
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := chaintest.Epoch
			var entries []*chainpb.Entry
			for i, subject := range subjects {
				entries = append(entries,
					creditEntry(creditEvent(fmt.Sprintf("EV-%d-%d-1", m.key, i), fmt.Sprintf("ACC-%d", i), subject, opened, 500_000, 0, at)),
					creditEntry(creditEvent(fmt.Sprintf("EV-%d-%d-2", m.key, i), fmt.Sprintf("ACC-%d", i), subject, repaid, 400_000, 0, at.Add(time.Hour))),
				)
			}
			m.submit(entries...)
		}()
	}
	wg.Wait()
}
