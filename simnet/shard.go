package simnet

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/placement"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/credmesh/credmesh/records"
	"github.com/libp2p/go-libp2p/core/peer"
)

// ShardRun is a run of sharded replication (RunShard; docs/SCALE.md):
// every member issues payment records at Rate, a light client looks
// accepted records up from their chain's holders (placement.Holders),
// and after Steady the first Crash replicas of member 0's chain crash for
// good. The run measures the steady phase's wire bytes per peer, the
// lookups, and the time until R running members besides the issuer hold
// member 0's chain as far as it stood at the crash. R = 0 is the baseline:
// full replication, the same load.
type ShardRun struct {
	Peers int
	R     int
	// Rate is each member's payment records a second, Batch per Submit.
	Rate          float64
	Batch         int
	BlockInterval time.Duration
	// Latency is the one-way latency between two peers; BandwidthMbps
	// every link's bandwidth each way.
	Latency       time.Duration
	BandwidthMbps float64
	// Steady is the load before the crash; Restore bounds the wait, after
	// it, for R to be restored (the load goes on meanwhile).
	Steady  time.Duration
	Restore time.Duration
	// After is how long the load goes on after the crash at least
	// (default 15 s), so that lookups are measured with the replicas down.
	After time.Duration
	// LookupRate is the light client's lookups a second.
	LookupRate float64
	// Crash is how many of member 0's replicas crash (R − 1 at most keeps
	// a replica up besides the issuer; default 2).
	Crash int
	Seed  uint64
}

// ShardReport is what RunShard measured.
type ShardReport struct {
	Peers int `json:"peers"`
	R     int `json:"r"`
	// Records accepted over the whole run; Steady is the steady phase's
	// length.
	Records int      `json:"records"`
	Steady  Duration `json:"steady"`
	// WireKiBPerSec summarizes each peer's wire bytes (sent plus
	// received, QUIC included) a second during the steady phase.
	WireKiBPerSec Summary `json:"wire_kib_per_sec"`
	// ChainsHeld summarizes how many chains each peer held in full at the
	// end of the steady phase (every chain under full replication).
	ChainsHeld Summary `json:"chains_held"`
	// Lookups before and after the crash.
	Lookups      Percentiles `json:"lookups"`
	LookupsOK    float64     `json:"lookups_ok"`
	LookupsAfter Percentiles `json:"lookups_after_crash"`
	AfterOK      float64     `json:"lookups_after_crash_ok"`
	// Crashed are the replicas of member 0's chain that crashed; Takers
	// the members that hold it at the end though placement did not give
	// it to them.
	Crashed []int `json:"crashed"`
	Takers  []int `json:"takers"`
	// RestoredIn is the time from the crash until R running members
	// besides the issuer held member 0's chain up to its height at the
	// crash; Restored says whether that happened within Restore.
	RestoredIn Duration `json:"restored_in"`
	Restored   bool     `json:"restored"`
	// Missing counts member 0's records accepted before the crash that a
	// running holder lacks at the end (should be 0).
	Missing int `json:"missing"`
}

// shardLedger is what the issuers had accepted: per issuer, the entry
// keys and order IDs, with when.
type shardLedger struct {
	mu     sync.Mutex
	keys   map[int][][]byte
	orders []shardOrder
	total  int
}

type shardOrder struct {
	issuer int
	id     string
	at     time.Time
}

// RunShard runs r. It must run inside a synctest bubble or accept
// wall-clock figures.
func RunShard(ctx context.Context, r ShardRun) (*ShardReport, error) {
	if r.Peers < 4 || r.R < 0 || r.R >= r.Peers {
		return nil, fmt.Errorf("simnet: shard run of %d peers with R = %d", r.Peers, r.R)
	}
	if r.Crash == 0 {
		r.Crash = 2
	}
	if r.After == 0 {
		r.After = 15 * time.Second
	}
	if r.R > 0 && r.Crash >= r.R {
		return nil, fmt.Errorf("simnet: crashing %d of R = %d replicas leaves none", r.Crash, r.R)
	}
	link := Link{Latency: r.Latency / 2, UplinkBps: int(r.BandwidthMbps * 1e6), DownlinkBps: int(r.BandwidthMbps * 1e6)}
	specs := make([]PeerSpec, r.Peers)
	for i := range specs {
		specs[i].Link = link
	}
	fullBootstrap(specs)
	n, err := NewNet(NetConfig{Peers: specs, Params: config.GenesisParams{BlockInterval: r.BlockInterval, ReplicationFactor: r.R}})
	if err != nil {
		return nil, err
	}
	defer func() {
		n.Close()
		// Pubsub retries an announcement a full queue refused (to a
		// crashed peer) after sleeping up to 1 s, and only then sees its
		// context closed (announceRetry in go-libp2p-pubsub v0.19): let
		// those goroutines end before the run (a synctest bubble) does.
		time.Sleep(1100 * time.Millisecond)
	}()
	if err := n.Start(); err != nil {
		return nil, err
	}
	if err := waitShardSetup(ctx, n); err != nil {
		return nil, err
	}
	g := n.Genesis()
	pl := placement.New(g.Members(), r.R)
	issuerOf := map[chain.IssuerID]int{}
	for _, p := range n.Peers() {
		issuerOf[p.Issuer] = p.Index
	}
	holders := func(i int) []peer.ID {
		var out []peer.ID
		for _, id := range pl.Holders(n.Peers()[i].Issuer) {
			out = append(out, peerid.OfKey(n.Peers()[issuerOf[id]].Key))
		}
		return out
	}
	boot := make([]int, r.Peers)
	for i := range boot {
		boot[i] = i
	}
	lc, err := n.AddLightClient(link, boot)
	if err != nil {
		return nil, err
	}
	for len(lc.net.ConnectedMembers()) < r.Peers {
		select {
		case <-ctx.Done():
			return nil, errors.New("simnet: the light client did not connect to every member")
		case <-time.After(100 * time.Millisecond):
		}
	}

	led := &shardLedger{keys: make(map[int][][]byte)}
	rep := &ShardReport{Peers: r.Peers, R: r.R, Steady: Duration(r.Steady)}
	load, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var wg sync.WaitGroup
	for _, p := range n.Peers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			shardIssue(load, n, p, r, led)
		}()
	}
	type lookupSample struct {
		d     time.Duration
		ok    bool
		after bool
	}
	var (
		lmu     sync.Mutex
		samples []lookupSample
		crashed sync.Map // peer index -> true once crashed
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(r.Seed, 0x5a4d))
		crashAt := time.Now().Add(r.Steady)
		every(load, period(r.LookupRate, 1), func() bool {
			o, ok := led.random(rng, time.Now().Add(-2*r.BlockInterval))
			if !ok {
				return true
			}
			var from []peer.ID
			for _, p := range holders(o.issuer) {
				if _, down := crashed.Load(p); !down {
					from = append(from, p)
				}
			}
			start := time.Now()
			lctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			res, err := lc.client.Lookup(lctx, o.id, from...)
			cancel()
			lmu.Lock()
			samples = append(samples, lookupSample{time.Since(start), err == nil && len(res.Payments) == 1, start.After(crashAt)})
			lmu.Unlock()
			return true
		})
	}()

	before := wireTotals(n)
	t0 := time.Now()
	if !sleepUntil(ctx, t0.Add(r.Steady)) {
		return nil, ctx.Err()
	}
	after := wireTotals(n)
	secs := time.Since(t0).Seconds()
	var rates, held []float64
	for i := range after {
		rates = append(rates, float64(after[i]-before[i])/1024/secs)
		if hc := n.Peers()[i].Network().HeldChains(); hc != nil {
			held = append(held, float64(len(hc)))
		} else {
			held = append(held, float64(r.Peers))
		}
	}
	rep.WireKiBPerSec, rep.ChainsHeld = summarize(rates), summarize(held)

	// Crash the first replicas of member 0's chain, for good.
	first := n.Peers()[0]
	target := first.Store().Head(first.Issuer).Height
	for _, id := range pl.Replicas(first.Issuer)[:r.Crash] {
		i := issuerOf[id]
		rep.Crashed = append(rep.Crashed, i)
		crashed.Store(peerid.OfKey(n.Peers()[i].Key), true)
		if err := n.Peers()[i].Crash(); err != nil {
			return nil, err
		}
	}
	crashT := time.Now()
	deadline := crashT.Add(r.Restore)
	want := r.R
	if want == 0 {
		want = r.Peers - 1
	}
	want = min(want, r.Peers-1-r.Crash)
	for {
		if held := holdersAt(n, first.Issuer, target); len(held) >= want {
			rep.Restored, rep.RestoredIn = true, Duration(time.Since(crashT))
			break
		}
		if time.Now().After(deadline) {
			rep.RestoredIn = Duration(time.Since(crashT))
			break
		}
		if !sleepUntil(ctx, time.Now().Add(100*time.Millisecond)) {
			return nil, ctx.Err()
		}
	}
	if !sleepUntil(ctx, crashT.Add(r.After)) {
		return nil, ctx.Err()
	}
	stopLoad()
	wg.Wait()

	// Every record of member 0's accepted by now is on every member
	// that holds its chain once they have caught up with its issuer.
	keys := led.keysOf(0)
	var final uint64
	for end := time.Now().Add(30 * time.Second); ; {
		if first.Pending() == 0 {
			final = first.Store().Head(first.Issuer).Height
			if len(holdersAt(n, first.Issuer, final)) >= len(holdersAt(n, first.Issuer, target)) {
				break
			}
		}
		if time.Now().After(end) || !sleepUntil(ctx, time.Now().Add(100*time.Millisecond)) {
			break
		}
	}
	original := pl.Holders(first.Issuer)
	for _, i := range holdersAt(n, first.Issuer, target) {
		if !slices.Contains(original, n.Peers()[i].Issuer) {
			rep.Takers = append(rep.Takers, i)
		}
		found, err := n.Peers()[i].Store().HasKeys(first.Issuer, keys)
		if err != nil {
			rep.Missing += len(keys)
			continue
		}
		for _, f := range found {
			if !f {
				rep.Missing++
			}
		}
	}
	led.mu.Lock()
	rep.Records = led.total
	led.mu.Unlock()
	var ds, dsAfter []time.Duration
	var ok, okAfter int
	for _, s := range samples {
		if s.after {
			dsAfter = append(dsAfter, s.d)
			if s.ok {
				okAfter++
			}
			continue
		}
		ds = append(ds, s.d)
		if s.ok {
			ok++
		}
	}
	rep.Lookups, rep.LookupsAfter = percentiles(ds), percentiles(dsAfter)
	if len(ds) > 0 {
		rep.LookupsOK = float64(ok) / float64(len(ds))
	}
	if len(dsAfter) > 0 {
		rep.AfterOK = float64(okAfter) / float64(len(dsAfter))
	}
	return rep, nil
}

// waitShardSetup waits until every peer is connected to every other
// member and has recovered its own chain.
func waitShardSetup(ctx context.Context, n *Net) error {
	ctx, cancel := context.WithTimeout(ctx, max(2*time.Minute, time.Duration(len(n.Peers()))*3*time.Second))
	defer cancel()
	for {
		done := 0
		for _, p := range n.Peers() {
			if len(p.Network().ConnectedMembers()) >= len(n.Peers())-1 && p.Ready() {
				done++
			}
		}
		if done == len(n.Peers()) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("simnet: %d of %d peers connected to every member before the setup timeout", done, len(n.Peers()))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// shardIssue submits p's payment records until ctx ends.
func shardIssue(ctx context.Context, n *Net, p *Peer, r ShardRun, led *shardLedger) {
	rc := records.Context{NetworkID: n.Genesis().NetworkID(), Issuer: p.Issuer, Secret: n.Secret()}
	// Spread the members' batches over one period.
	if !sleepUntil(ctx, time.Now().Add(period(r.Rate, r.Batch)*time.Duration(p.Index)/time.Duration(r.Peers))) {
		return
	}
	counter := 0
	every(ctx, period(r.Rate, r.Batch), func() bool {
		if !p.Running() {
			return false
		}
		var recs []records.Record
		for range r.Batch {
			recs = append(recs, records.SamplePayment(p.Spec.Name, counter, 1000))
			counter++
		}
		dateBefore(recs, time.Now())
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs, err := p.Submit(sctx, recs)
		cancel()
		if err != nil {
			return true
		}
		at := time.Now()
		for i := range recs {
			if errs[i] != nil {
				continue
			}
			e, err := recs[i].Entry(rc)
			if err != nil {
				continue
			}
			led.add(p.Index, chain.EntryKey(e), recs[i].OrderID, at)
		}
		return true
	})
}

func (l *shardLedger) add(issuer int, key []byte, order string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys[issuer] = append(l.keys[issuer], key)
	l.orders = append(l.orders, shardOrder{issuer, order, at})
	l.total++
}

func (l *shardLedger) keysOf(i int) [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.keys[i])
}

// random picks an order accepted before cutoff.
func (l *shardLedger) random(rng *rand.Rand, cutoff time.Time) (shardOrder, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := len(l.orders)
	for k > 0 && l.orders[k-1].at.After(cutoff) {
		k--
	}
	if k == 0 {
		return shardOrder{}, false
	}
	return l.orders[rng.IntN(k)], true
}

// wireTotals returns each peer's wire bytes sent plus received so far.
func wireTotals(n *Net) []int64 {
	out := make([]int64, len(n.Peers()))
	for i := range out {
		s, r := n.links.WireBytes(i)
		out[i] = s + r
	}
	return out
}

// holdersAt returns the running peers other than iss's issuer whose
// store holds iss's chain at height or above.
func holdersAt(n *Net, iss chain.IssuerID, height uint64) []int {
	var out []int
	for _, p := range n.Running() {
		if p.Issuer == iss {
			continue
		}
		if st := p.Store(); st != nil {
			if h := st.Head(iss); h != nil && h.Height >= height {
				out = append(out, p.Index)
			}
		}
	}
	return out
}
