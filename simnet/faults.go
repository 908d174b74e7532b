package simnet

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/credmesh/credmesh/chain"
)

// Convergence is how long the network took to catch up after a fault
// ended: until every running peer held every chain at least as far as its
// issuer had sealed when the fault ended.
type Convergence struct {
	Event string        `json:"event"`
	At    time.Duration `json:"at_ns"` // since the load began
	Took  time.Duration `json:"took_ns"`
	OK    bool          `json:"ok"`
	Error string        `json:"error,omitempty"`
}

// FaultResult is what one fault did.
type FaultResult struct {
	Kind  string `json:"kind"`
	Peers []int  `json:"peers,omitempty"`
	// InvalidSent counts a faulty member's invalid blocks.
	InvalidSent int `json:"invalid_sent,omitempty"`
	// ScoreMin is the lowest gossip score an honest peer gave the faulty
	// members during their window.
	ScoreMin float64 `json:"score_min,omitempty"`
	Error    string  `json:"error,omitempty"`
}

// faults runs a scenario's faults on their schedule.
type faults struct {
	env  *Env
	step time.Duration   // how often convergence is checked
	bg   context.Context // bounds convergence measurements (load + settle)

	mu      sync.Mutex
	conv    []Convergence
	results []FaultResult
	wg      sync.WaitGroup
}

func (f *faults) Name() string { return "faults" }

// Run starts every fault at its time and waits for them, and for the
// convergence measurements they started, before returning. Faults whose
// end falls after ctx are ended when ctx ends.
func (f *faults) Run(ctx context.Context, env *Env) {
	s := env.Scenario
	start := time.Now()
	for _, fs := range s.Faults {
		if fs.Kind == "slow" {
			continue // set on the links before the start
		}
		peers := make([]int, len(fs.Peers))
		for i, p := range fs.Peers {
			peers[i] = s.peerIndex(p)
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			if !sleepUntil(ctx, start.Add(fs.At.D())) {
				return
			}
			res := f.run(ctx, fs, peers)
			f.mu.Lock()
			f.results = append(f.results, res)
			f.mu.Unlock()
		}()
	}
	f.wg.Wait()
}

func (f *faults) run(ctx context.Context, fs FaultSpec, peers []int) FaultResult {
	n, rec := f.env.Net, f.env.Net.rec
	res := FaultResult{Kind: fs.Kind, Peers: peers}
	fail := func(err error) FaultResult {
		res.Error = err.Error()
		return res
	}
	endAt := time.Now().Add(fs.For.D())
	switch fs.Kind {
	case "partition":
		groups := make(map[int]int)
		for i := range n.peers {
			groups[i] = i * fs.Groups / len(n.peers)
		}
		n.links.Partition(groups)
		rec.SetPhase("partitioned")
		rec.Event("partition", nil, fmt.Sprintf("%d groups for %s", fs.Groups, fs.For))
		sleepUntil(ctx, endAt)
		targets := n.IssuerHeads()
		n.links.Heal()
		rec.SetPhase("healed")
		rec.Event("heal", nil, "")
		f.converge(ctx, "heal", targets)
	case "crash":
		for _, i := range peers {
			if err := n.peers[i].Crash(); err != nil {
				return fail(err)
			}
		}
		rec.SetPhase("crashed")
		rec.Event("crash", peers, "cut off, then stopped")
		sleepUntil(ctx, endAt)
		for _, i := range peers {
			if err := n.peers[i].Start(); err != nil {
				return fail(err)
			}
		}
		rec.SetPhase("restarted")
		rec.Event("restart", peers, "")
		f.converge(ctx, "restart", n.IssuerHeads())
	case "join":
		targets := n.IssuerHeads()
		for _, i := range peers {
			if err := n.peers[i].Start(); err != nil {
				return fail(err)
			}
		}
		rec.Event("join", peers, "late joiners start")
		f.converge(ctx, "join", targets)
	case "faulty":
		rec.SetPhase("faulty member")
		rec.Event("faulty", peers, fmt.Sprintf("%.0f invalid blocks/s for %s", fs.Rate, fs.For))
		fctx, cancel := context.WithDeadline(ctx, endAt)
		var wg sync.WaitGroup
		sent := make([]int, len(peers))
		for k, i := range peers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sent[k] = spamInvalid(fctx, n.peers[i], n.genesis.NetworkID(), fs.Rate, 1_000_000)
			}()
		}
		// The lowest score over the whole window, not only at its end: a
		// graylisted member's messages are dropped unvalidated, so its
		// penalty decays between rejections.
		lowest := make(chan float64, 1)
		go func() {
			low := 0.0
			for fctx.Err() == nil {
				low = min(low, f.env.lowestScore(peers))
				select {
				case <-fctx.Done():
				case <-time.After(4 * f.step):
				}
			}
			lowest <- low
		}()
		wg.Wait()
		cancel()
		for _, s := range sent {
			res.InvalidSent += s
		}
		res.ScoreMin = min(<-lowest, f.env.lowestScore(peers))
		rec.SetPhase("after faulty member")
		rec.Event("faulty-end", peers, fmt.Sprintf("%d invalid blocks sent", res.InvalidSent))
	}
	return res
}

// converge measures, in the background, how long until every running peer
// holds targets; it may go on after the load, until f.bg ends.
func (f *faults) converge(_ context.Context, event string, targets map[chain.IssuerID]uint64) {
	at := f.env.Net.rec.Since()
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		took, err := f.env.Net.WaitCaughtUp(f.bg, targets, f.step)
		c := Convergence{Event: event, At: at, Took: took, OK: err == nil}
		if err != nil {
			c.Error = err.Error()
		}
		f.mu.Lock()
		f.conv = append(f.conv, c)
		f.mu.Unlock()
	}()
}

// sleepUntil waits for t or ctx; it reports whether t came.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}
