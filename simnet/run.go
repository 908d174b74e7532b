package simnet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/credmesh/credmesh/config"
)

// RunOptions are how a scenario is run, beside the scenario itself.
type RunOptions struct {
	// Virtual says the run is inside a synctest bubble (reported as the
	// clock; nothing else changes: time.Now is the bubble's clock).
	Virtual bool
	// Dir holds disk stores (default: a temporary directory).
	Dir string
	// Logger receives the nodes' logs (default: none).
	Logger *slog.Logger
	// Progress, if set, is called every ProgressEvery of the load with a
	// one-line status.
	Progress      func(line string)
	ProgressEvery time.Duration
	// SetupTimeout bounds the wait for every peer to connect to every
	// member before the load (default 3 s per peer, at least 2 min).
	SetupTimeout time.Duration
	// Check is how often convergence and settling are polled (default
	// 25 ms).
	Check time.Duration
	// MaxCheckedKeys bounds the store lookups of the lost-record check per
	// peer (default 50,000; keys are sampled evenly beyond it).
	MaxCheckedKeys int
	// MemoryLimit, if set, is the Go runtime's soft memory limit during
	// the run (debug.SetMemoryLimit): the collector runs more often as the
	// process nears it instead of letting the heap grow to twice what is
	// live. It costs CPU, never virtual time.
	MemoryLimit int64
	// HeapProfile, if set, is a file the Go heap profile is written to
	// whenever the heap in use reaches a new peak during the load (the
	// last one written is the peak's).
	HeapProfile string
}

// Run builds the scenario's network, runs its load and faults, waits for
// the network to settle, checks the end state and returns the report. The
// report is returned, with an error, also when the run did not end well.
func Run(ctx context.Context, s *Scenario, o RunOptions) (*Report, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if o.SetupTimeout <= 0 {
		o.SetupTimeout = max(2*time.Minute, time.Duration(s.Peers)*3*time.Second)
	}
	if o.Check <= 0 {
		o.Check = 25 * time.Millisecond
	}
	if o.MaxCheckedKeys <= 0 {
		o.MaxCheckedKeys = 50_000
	}
	wallStart := time.Now()
	if o.MemoryLimit > 0 {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(o.MemoryLimit))
	}
	rep := &Report{Scenario: s.Name, Description: s.Description, Clock: "wall", Peers: s.Peers, Duration: s.Duration, Network: s.Network, Machine: machine()}
	if o.Virtual {
		rep.Clock = "virtual"
	}
	debug.FreeOSMemory()
	rep.Memory.Before = readMemory()

	n, err := NewNet(NetConfig{
		Peers: s.peerSpecs(), Params: s.genesisParams(), RegionLatency: s.regionLatency(), Dir: o.Dir, Logger: o.Logger,
	})
	if err != nil {
		return nil, err
	}
	defer n.Close()
	if err := n.Start(); err != nil {
		return nil, err
	}
	env := &Env{
		Net: n, Scenario: s, ledger: newLedger(),
		records: &budget{left: s.Load.MaxRecords}, lookups: &budget{left: s.Load.MaxLookups}, reports: &budget{left: s.Load.MaxReports},
	}
	if err := env.setup(ctx, o); err != nil {
		return nil, err
	}
	rep.Setup = Duration(time.Since(n.rec.Start()))
	rep.SetupMinConnected = env.minConnected
	rep.Memory.Started = readMemory()

	loadStart := time.Now()
	n.rec.restart(loadStart)
	lctx, cancel := context.WithTimeout(ctx, s.Duration.D())
	defer cancel()
	bg, bgCancel := context.WithTimeout(ctx, s.Duration.D()+s.Settle.D())
	defer bgCancel()
	flt := &faults{env: env, step: o.Check, bg: bg}
	var wg sync.WaitGroup
	for _, w := range env.workloads() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.Run(lctx, env)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		flt.Run(lctx, env)
	}()
	peak := env.watch(lctx, o)
	wg.Wait()

	settle, serr := n.WaitSettled(bg, o.Check)
	rep.Checks.Settled, rep.Checks.SettleIn = serr == nil, Duration(settle)
	rep.Memory.Peak, rep.Memory.End = *peak, readMemory()
	rep.Memory.PerPeerMiB = max(0, max(rep.Memory.Peak.RSSMiB, rep.Memory.End.RSSMiB)-rep.Memory.Before.RSSMiB) / float64(s.Peers)
	env.finish(rep, loadStart, o)
	rep.Convergence, rep.Faults = flt.conv, flt.results
	for _, f := range flt.results {
		rep.Gossip.FaultyScoreMin = min(rep.Gossip.FaultyScoreMin, f.ScoreMin)
	}
	rep.Elapsed = Duration(time.Since(wallStart))
	if !rep.OK() {
		return rep, fmt.Errorf("simnet: %s did not end well: settled %v, heads identical %v, %d records lost", s.Name, rep.Checks.Settled, rep.Checks.HeadsIdentical, rep.Records.Lost)
	}
	return rep, nil
}

// genesisParams are the scenario's chain parameters.
func (s *Scenario) genesisParams() config.GenesisParams {
	return config.GenesisParams{
		BlockInterval: s.Chain.BlockInterval.D(), MaxBlockBytes: s.Chain.MaxBlockBytes, MaxBlockEntries: s.Chain.MaxBlockEntries,
		WitnessPeriod: s.Chain.WitnessPeriod.D(),
	}
}

// setup waits until every running peer is connected to every other running
// member and has recovered its own chain, then starts the light clients and
// waits for their connections.
func (env *Env) setup(ctx context.Context, o RunOptions) error {
	ctx, cancel := context.WithTimeout(ctx, o.SetupTimeout)
	defer cancel()
	n := env.Net
	lastProgress := time.Now()
	for {
		running := n.Running()
		done, fewest := 0, len(running)
		for _, p := range running {
			c := len(p.Network().ConnectedMembers())
			fewest = min(fewest, c)
			if c >= len(running)-1 && p.Ready() {
				done++
			}
		}
		env.minConnected = fewest
		if done == len(running) {
			break
		}
		// On a CPU-starved machine a few dials time out at the start and
		// libp2p backs off from them for minutes; past a minute, nine
		// tenths of the members is enough to start (the report says how
		// many the least connected peer had).
		if time.Since(n.rec.Start()) > time.Minute && fewest*10 >= (len(running)-1)*9 {
			break
		}
		if o.Progress != nil && o.ProgressEvery > 0 && time.Since(lastProgress) >= o.ProgressEvery {
			lastProgress = time.Now()
			o.Progress(fmt.Sprintf("setup: %d of %d peers connected to every member, the least connected to %d (%s)", done, len(running), fewest, time.Since(n.rec.Start()).Round(time.Second)))
		}
		select {
		case <-ctx.Done():
			return errors.New("simnet: peers did not all connect before the setup timeout")
		case <-time.After(o.Check * 4):
		}
	}
	s := env.Scenario
	rng := rand.New(rand.NewPCG(s.Seed, 0x119))
	link := Link{Latency: s.Network.Latency.D() / 2, UplinkBps: int(s.Network.BandwidthMbps * 1e6), DownlinkBps: int(s.Network.BandwidthMbps * 1e6), MTU: s.Network.MTU}
	for range s.Load.LightClients {
		var boot []int
		for _, i := range rng.Perm(s.Peers) {
			if len(boot) == 3 {
				break
			}
			if n.peers[i].Running() {
				boot = append(boot, i)
			}
		}
		lc, err := n.AddLightClient(link, boot)
		if err != nil {
			return err
		}
		env.lights = append(env.lights, lc)
	}
	for _, lc := range env.lights {
		for len(lc.net.ConnectedMembers()) == 0 {
			select {
			case <-ctx.Done():
				return errors.New("simnet: a light client found no member before the setup timeout")
			case <-time.After(o.Check * 4):
			}
		}
	}
	return nil
}

// samplePaymentBytes is about the size of records.SamplePayment's entry.
const samplePaymentBytes = 210

// workloads are the scenario's issuers, lenders, light clients and
// reporters.
func (env *Env) workloads() []Workload {
	l := env.Scenario.Load
	var ws []Workload
	for i := range l.Issuers {
		if l.Rate > 0 {
			// Spread the issuers over one block's filling time.
			fill := time.Duration(float64(env.Net.genesis.ChainParams().MaxBlockBytes) / (l.Rate * samplePaymentBytes) * float64(time.Second))
			ws = append(ws, &issuing{peer: i, rate: l.Rate, batch: l.Batch, phase: fill * time.Duration(i) / time.Duration(l.Issuers)})
		}
	}
	for i := range l.Lenders {
		if l.LenderRate > 0 {
			ws = append(ws, &issuing{peer: l.Issuers + i, lender: true, rate: l.LenderRate, batch: 1})
		}
	}
	for k, lc := range env.lights {
		if l.LookupRate > 0 {
			ws = append(ws, &lookups{client: lc, rate: l.LookupRate, rng: rand.New(rand.NewPCG(env.Scenario.Seed, uint64(100+k)))})
		}
	}
	for k := range l.Reporters {
		if l.ReportRate > 0 {
			ws = append(ws, &reports{peer: env.Scenario.Peers - 1 - k, rate: l.ReportRate, rng: rand.New(rand.NewPCG(env.Scenario.Seed, uint64(200+k)))})
		}
	}
	return ws
}
