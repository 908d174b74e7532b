package simnet

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// WriteTable writes the report as aligned text: what a person reads after
// a run.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format+"\n", args...) }
	pct := func(name string, x Percentiles) {
		p("  %s\t%d\t%.1f\t%.1f\t%.1f\t%.1f", name, x.N, x.P50, x.P95, x.P99, x.Max)
	}
	n := r.Network
	p("scenario %s (%s clock): %d peers, %s load, %s one-way, %g Mbit/s, MTU %d, topology %s", r.Scenario, r.Clock, r.Peers, r.Duration, n.Latency, n.BandwidthMbps, n.MTU, n.Topology)
	if r.Description != "" {
		p("  %s", r.Description)
	}
	p("machine %s/%s, %d CPUs, %s; setup %s (least connected peer: %d of %d members), elapsed %s",
		r.Machine.GOOS, r.Machine.GOARCH, r.Machine.CPUs, r.Machine.GoVersion, r.Setup, r.SetupMinConnected, r.Peers-1, r.Elapsed)
	p("")
	p("blocks: %d seen, %d reached every peer; %.0f bytes and %.0f entries each on average; %.1f%% of deliveries by sync",
		r.Blocks.Seen, r.Blocks.Complete, r.Blocks.MeanBytes, r.Blocks.MeanEntries, 100*r.Blocks.ViaSync)
	p("propagation (ms)\tn\tp50\tp95\tp99\tmax")
	pct("to all peers", r.Propagation.ToAll)
	pct("to each peer", r.Propagation.PerPeer)
	for _, ph := range sortedKeys(r.Propagation.ByPhase) {
		pct("to all, "+ph, r.Propagation.ByPhase[ph])
	}
	p("witnessed: %d blocks reached K = %d cosignatures of members other than their issuer", r.Witnessed.Reached, r.Witnessed.K)
	pct("block to K cosignatures", r.Witnessed.ToK)
	if c := r.Witnessed.Cost; c.Periods > 0 {
		p("witness cost: %.0f bytes per peer per %s period (in and out), %.2f%% of the blocks' %.0f (messages %d B, control %d B in all)",
			c.PerPeerPeriodBytes, c.Period, 100*c.Ratio, c.BlockPerPeerPeriodBytes, c.WitnessMessages, c.WitnessControl)
	}
	p("")
	missing := "lost"
	if !r.Checks.Settled {
		missing = "missing (the run did not settle)"
	}
	p("records: %d submitted, %d accepted (%d kept private), %d refused; %d (peer, published record) pairs checked, %d %s",
		r.Records.Submitted, r.Records.Accepted, r.Records.Private, r.Records.Refused, r.Records.Checked, r.Records.Lost, missing)
	p("queries (ms)\tn\tp50\tp95\tp99\tmax\tsuccess")
	op := func(name string, o OpStats) {
		if o.Count == 0 {
			return
		}
		x := o.Latency
		p("  %s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f%%", name, o.Count, x.P50, x.P95, x.P99, x.Max, 100*o.SuccessRate)
		for _, ph := range sortedKeys(o.ByPhase) {
			y := o.ByPhase[ph]
			p("  %s, %s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f%%", name, ph, y.Count, y.Latency.P50, y.Latency.P95, y.Latency.P99, y.Latency.Max, 100*y.SuccessRate)
		}
	}
	op("payment lookup", r.Lookups)
	op("credit report", r.Reports)
	p("")
	t := r.Traffic
	p("traffic: wire MiB sent per peer min %.1f median %.1f max %.1f; gossip amplification %.2f", t.SentMiB.Min, t.SentMiB.Median, t.SentMiB.Max, t.Amplification)
	var fams []string
	for _, f := range sortedKeys(t.ByProtocol) {
		fams = append(fams, fmt.Sprintf("%s %.1f", f, t.ByProtocol[f]))
	}
	p("  stream MiB sent, all peers: %s", strings.Join(fams, ", "))
	g := r.Gossip
	p("gossip: %d blocks rejected, %d ignored, %d dropped, %d synced, %d sync failures, %d out of order", g.Rejected, g.Ignored, g.Drops, g.Synced, g.SyncFail, g.OutOfOrder)
	if g.FaultyScoreMin != 0 {
		p("  lowest score an honest peer gives a faulty member: %.1f", g.FaultyScoreMin)
	}
	for _, c := range r.Convergence {
		status := "converged"
		if !c.OK {
			status = "did not converge: " + c.Error
		}
		p("convergence after %s at %s: %s in %s", c.Event, c.At, status, c.Took)
	}
	for _, f := range r.Faults {
		if f.Error != "" || f.InvalidSent > 0 {
			p("fault %s %v: %d invalid blocks sent %s", f.Kind, f.Peers, f.InvalidSent, f.Error)
		}
	}
	m := r.Memory
	p("memory: RSS %.0f MiB before, %.0f started, %.0f peak (%.1f MiB per peer); Go heap in use %.0f MiB, stacks %.0f MiB at peak; %d goroutines",
		m.Before.RSSMiB, m.Started.RSSMiB, max(m.Peak.RSSMiB, m.End.RSSMiB), m.PerPeerMiB, m.Peak.HeapInuseMiB, m.Peak.StackMiB, m.Peak.Goroutines)
	c := r.Checks
	p("checks: settled %v (in %s), %d chains, heads identical %v, records lost %d => %s", c.Settled, c.SettleIn, c.Chains, c.HeadsIdentical, r.Records.Lost, okWord(r.OK()))
	for _, d := range c.Diffs {
		p("  %s", d)
	}
	return tw.Flush()
}

func okWord(ok bool) string {
	if ok {
		return "OK"
	}
	return "FAILED"
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
