package simnet

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Scenario tests run whole networks of real peers in virtual time
// (testing/synctest): the figures are the protocol's, free of this
// machine's CPU contention, and the runs take a fraction of their virtual
// duration. Set CREDMESH_SIM_LONG=1 to also run the long ones (100 peers),
// CREDMESH_SIM_OUT=DIR to keep every run's report and plots there, and
// CREDMESH_SIM_HEAPPROFILE=FILE for the Go heap profile at the load's peak.
// Under -race the networks are smaller, so the suite stays within minutes.

// longTests reports whether CREDMESH_SIM_LONG asks for the long scenarios.
func longTests() bool { return os.Getenv("CREDMESH_SIM_LONG") == "1" }

// runScenario runs s in a synctest bubble and returns its report; the
// test fails if the run returns an error (not settled, heads differ,
// records lost).
func runScenario(t *testing.T, s *Scenario) *Report {
	t.Helper()
	return runScenarioWith(t, s, RunOptions{})
}

// simMemoryLimit is the Go memory limit of the 100-peer runs: without it
// the collector lets the heap grow to twice what the peers hold live.
const simMemoryLimit = 3 << 30

// runScenarioWith is runScenario with options (Virtual, Dir and
// HeapProfile are set here).
func runScenarioWith(t *testing.T, s *Scenario, o RunOptions) *Report {
	t.Helper()
	o.Virtual, o.Dir, o.HeapProfile = true, t.TempDir(), os.Getenv("CREDMESH_SIM_HEAPPROFILE")
	var rep *Report
	wall := time.Now()
	synctest.Test(t, func(t *testing.T) {
		var err error
		rep, err = Run(context.Background(), s, o)
		if rep != nil {
			t.Cleanup(func() { logReport(t, rep) })
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%s: %d peers, %s virtual, %s wall", s.Name, s.Peers, s.Duration, time.Since(wall).Round(time.Millisecond))
	return rep
}

func logReport(t *testing.T, rep *Report) {
	var b bytesBuffer
	rep.WriteTable(&b)
	t.Logf("report:\n%s", b.String())
	if dir := os.Getenv("CREDMESH_SIM_OUT"); dir != "" {
		if err := rep.WriteFiles(dir + "/" + t.Name()); err != nil {
			t.Errorf("writing the report: %v", err)
		}
	}
}

func mustLoad(t *testing.T, name string) *Scenario {
	t.Helper()
	s, err := LoadScenario(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStandardScenario is the acceptance test: 30 peers under
// steady load, a partition in two halves and its heal, then a crash of an
// issuer and a replica and their restart. Every peer must end with the
// same chain heads, and every accepted record published must be on every
// peer.
func TestStandardScenario(t *testing.T) {
	s := mustLoad(t, "standard")
	if raceEnabled {
		s.Peers = 10
		s.Faults[1].Peers = []int{1, 7}
	}
	rep := runScenario(t, s)

	if !rep.Checks.HeadsIdentical || rep.Checks.Chains != s.Peers {
		t.Errorf("heads identical %v over %d chains, want true over %d: %v", rep.Checks.HeadsIdentical, rep.Checks.Chains, s.Peers, rep.Checks.Diffs)
	}
	if rep.Witnessed.Reached == 0 || rep.Witnessed.ToK.P50 <= 0 {
		t.Errorf("no block reached K = %d cosignatures (%d did): the report must measure the time to K", rep.Witnessed.K, rep.Witnessed.Reached)
	}
	t.Logf("block to K = %d cosignatures: %d blocks, p50 %v ms, p99 %v ms", rep.Witnessed.K, rep.Witnessed.Reached, rep.Witnessed.ToK.P50, rep.Witnessed.ToK.P99)
	if rep.Records.Accepted < 1000 || rep.Records.Lost != 0 {
		t.Errorf("%d records accepted, %d lost; want over 1000 and none", rep.Records.Accepted, rep.Records.Lost)
	}
	if rep.Records.Private == 0 || rep.Records.Private >= rep.Records.Accepted {
		t.Errorf("%d of %d accepted records kept private; want the lenders' opened events", rep.Records.Private, rep.Records.Accepted)
	}
	if want := (rep.Records.Accepted - rep.Records.Private) * len(rep.Traffic.PerPeer); rep.Records.Checked != want {
		t.Errorf("%d (peer, published record) pairs checked, want every one: %d", rep.Records.Checked, want)
	}
	converged := map[string]bool{}
	for _, c := range rep.Convergence {
		converged[c.Event] = c.OK
	}
	if !converged["heal"] || !converged["restart"] {
		t.Errorf("convergence after heal %v, after restart %v; want both", converged["heal"], converged["restart"])
	}
	steady := rep.Propagation.ByPhase["steady"]
	if steady.N == 0 || steady.P50 < 25 || steady.P50 > 250 {
		t.Errorf("steady propagation to all peers %+v; want blocks, p50 between one hop (25 ms) and 250 ms", steady)
	}
	if p := rep.Propagation.ByPhase["partitioned"]; p.N == 0 || p.P50 < 1000 {
		t.Errorf("blocks sealed during the partition reached everyone in %+v; want p50 over 1 s (after the heal)", p)
	}
	if rep.Lookups.Count == 0 || rep.Lookups.SuccessRate < 0.9 {
		t.Errorf("lookups %+v; want some, 90%% successful", rep.Lookups)
	}
	if rep.Reports.Count == 0 {
		t.Errorf("no credit report was made")
	}
}

// TestFaultsScenario: a faulty member's invalid blocks are rejected and
// it is penalized below the graylist threshold, a slow member and a late
// joiner keep up, and the network ends consistent.
func TestFaultsScenario(t *testing.T) {
	s := mustLoad(t, "faults")
	s.Peers = 12
	if raceEnabled {
		s.Peers = 8
	}
	rep := runScenario(t, s)
	var sent int
	for _, f := range rep.Faults {
		sent += f.InvalidSent
	}
	if sent == 0 || rep.Gossip.Rejected == 0 {
		t.Errorf("%d invalid blocks sent, %d rejected; want both above 0", sent, rep.Gossip.Rejected)
	}
	if rep.Gossip.FaultyScoreMin > -80 {
		t.Errorf("lowest score of the faulty member %.1f; want below the graylist threshold -80", rep.Gossip.FaultyScoreMin)
	}
	joined := false
	for _, c := range rep.Convergence {
		joined = joined || (c.Event == "join" && c.OK)
	}
	if !joined {
		t.Errorf("the late joiner did not catch up: %+v", rep.Convergence)
	}
	if rep.Propagation.ToAll.N == 0 {
		t.Errorf("no block reached every peer")
	}
}

// TestFanoutScenario checks DESIGN.md's credit-report target in virtual
// time: at 20 ms RTT a report's p50 is at most 1.2 × RTT + 5 ms, and with
// two members down every report still ends by its deadline, listing them.
func TestFanoutScenario(t *testing.T) {
	s := mustLoad(t, "fanout")
	if !longTests() {
		s.Peers, s.Duration = 10, Duration(30*time.Second)
		s.Faults[0].At, s.Faults[0].For = Duration(15*time.Second), Duration(10*time.Second)
	}
	rep := runScenario(t, s)
	rtt := 2 * s.Network.Latency.D()
	up := rep.Reports.ByPhase["steady"]
	if limit := ms(rtt*12/10 + 5*time.Millisecond); up.Count == 0 || up.SuccessRate < 0.95 || up.Latency.P50 > limit {
		t.Errorf("reports with every member up: %+v; want 95%% complete, p50 <= %.0f ms", up, limit)
	}
	down := rep.Reports.ByPhase["crashed"]
	deadline := ms(s.Load.ReportTimeout.D() + 50*time.Millisecond)
	if down.Count == 0 || down.Latency.Max > deadline {
		t.Errorf("reports with two members down: %+v; want some, each within the %s deadline", down, s.Load.ReportTimeout)
	}
	two, all := fmt.Sprintf("%d of %d members answered", s.Peers-2, s.Peers), fmt.Sprintf("%d of %d members answered", s.Peers, s.Peers)
	for _, smp := range rep.Samples["report"] {
		if d, _, _ := strings.Cut(smp.Detail, ";"); smp.Phase == "crashed" && d != two && d != all {
			t.Errorf("a report with two members down says %q; want %q", smp.Detail, two)
		}
	}
}

// TestPropagationScenario measures the propagation target in virtual
// time: 100 peers, 25 ms one-way, 100 Mbit/s, 64 KiB blocks, p99 to all
// peers within 250 ms (DESIGN.md: 300 ms; its bound about 200 ms). The
// figures are in docs/BENCHMARKS.md; the test guards against regressions
// at 500 ms and logs the comparison. The run has the Go memory limit
// simMemoryLimit (the memory target: 4 GiB for 100 peers). Long (5 to 15
// minutes here): CREDMESH_SIM_LONG=1.
func TestPropagationScenario(t *testing.T) {
	if !longTests() {
		t.Skip("set CREDMESH_SIM_LONG=1 to run 100 peers")
	}
	s := mustLoad(t, "propagation")
	s.Duration = Duration(30 * time.Second)
	rep := runScenarioWith(t, s, RunOptions{MemoryLimit: simMemoryLimit})
	if rep.Blocks.MeanBytes < 60_000 {
		t.Errorf("blocks of %.0f bytes on average; want about 64 KiB", rep.Blocks.MeanBytes)
	}
	if rep.Blocks.Complete != rep.Blocks.Seen {
		t.Errorf("%d of %d blocks reached every peer", rep.Blocks.Complete, rep.Blocks.Seen)
	}
	p99 := rep.Propagation.ToAll.P99
	t.Logf("p99 to all peers %.1f ms; the target is 250 ms", p99)
	if p99 > 500 {
		t.Errorf("p99 to all peers %.1f ms; want at most 500 (regression bound)", p99)
	}
}

// TestPropagationScenario20Mbit is the propagation scenario at 20 Mbit/s
// with one block at a time (one issuer, a 64 KiB block every 4 s), where
// DESIGN.md says bandwidth takes over (its bound: about 700 ms for one
// block). At the scenario's full load (a block every 0.5 s) the busiest
// forwarders' 20 Mbit/s uplinks saturate and blocks queue for seconds.
// It guards against regressions at 1.5 s. Long: CREDMESH_SIM_LONG=1.
func TestPropagationScenario20Mbit(t *testing.T) {
	if !longTests() {
		t.Skip("set CREDMESH_SIM_LONG=1 to run 100 peers")
	}
	s := mustLoad(t, "propagation")
	s.Duration, s.Network.BandwidthMbps = Duration(60*time.Second), 20
	s.Load.Issuers, s.Load.Rate, s.Chain.BlockInterval = 1, 80, Duration(10*time.Second)
	rep := runScenarioWith(t, s, RunOptions{MemoryLimit: simMemoryLimit})
	if rep.Blocks.Complete != rep.Blocks.Seen || rep.Blocks.Seen < 10 {
		t.Errorf("%d of %d blocks reached every peer; want 10 or more, all", rep.Blocks.Complete, rep.Blocks.Seen)
	}
	p99 := rep.Propagation.ToAll.P99
	t.Logf("p99 to all peers %.1f ms at 20 Mbit/s; DESIGN.md's bound is about 700 ms", p99)
	if p99 > 1500 {
		t.Errorf("p99 to all peers %.1f ms; want at most 1500 (regression bound)", p99)
	}
}

// TestWitnessCost runs the witness scenario (the standard load, no
// faults) at 20 and 100 peers and logs the witness topic's bytes per peer
// per period and their ratio to the blocks topic's in the same run; the
// figures are in docs/BENCHMARKS.md ("Witness cost"). The bound is
// 1 % at 100 members. Long: CREDMESH_SIM_LONG=1.
func TestWitnessCost(t *testing.T) {
	if !longTests() {
		t.Skip("set CREDMESH_SIM_LONG=1 to run 20 and 100 peers")
	}
	for _, peers := range []int{20, 100} {
		t.Run(fmt.Sprintf("peers=%d", peers), func(t *testing.T) {
			s := mustLoad(t, "witness")
			s.Peers = peers
			rep := runScenarioWith(t, s, RunOptions{MemoryLimit: simMemoryLimit})
			c := rep.Witnessed.Cost
			t.Logf("witness cost at %d peers: %.0f B per peer per %s period, blocks %.0f B: %.3f %%; block to K = %d: p50 %v ms, p99 %v ms",
				peers, c.PerPeerPeriodBytes, c.Period, c.BlockPerPeerPeriodBytes, 100*c.Ratio, rep.Witnessed.K, rep.Witnessed.ToK.P50, rep.Witnessed.ToK.P99)
			if c.PerPeerPeriodBytes == 0 || c.BlockPerPeerPeriodBytes == 0 {
				t.Fatalf("no witness or no block traffic counted: %+v", c)
			}
			if rep.Witnessed.Reached == 0 {
				t.Errorf("no block reached K = %d cosignatures", rep.Witnessed.K)
			}
			if peers == 100 && c.Ratio > 0.01 {
				t.Errorf("witness bytes are %.2f %% of block bytes at 100 members; the bound is 1 %%", 100*c.Ratio)
			}
		})
	}
}
