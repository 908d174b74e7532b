package simnet

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/credmesh/credmesh/internal/peerid"
)

// watch samples memory every second and, when asked, reports progress,
// until ctx ends; the returned peak is final once ctx has ended and the
// workloads returned.
func (env *Env) watch(ctx context.Context, o RunOptions) *Memory {
	peak := readMemory()
	every := o.ProgressEvery
	if o.Progress == nil || every <= 0 {
		every = time.Second
	}
	go func() {
		t := time.NewTicker(min(every, time.Second))
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			m := readMemory()
			if m.HeapInuseMiB > peak.HeapInuseMiB && o.HeapProfile != "" {
				writeHeapProfile(o.HeapProfile)
			}
			if m.RSSMiB > peak.RSSMiB || m.HeapInuseMiB > peak.HeapInuseMiB {
				peak = m
			}
			if o.Progress != nil && time.Since(last) >= o.ProgressEvery {
				last = time.Now()
				o.Progress(env.progressLine(m))
			}
		}
	}()
	return &peak
}

func (env *Env) progressLine(m Memory) string {
	n := env.Net
	blocks, _, ops, _ := n.rec.snapshot()
	var last time.Duration
	if len(blocks) > 0 {
		b := blocks[len(blocks)-1]
		for _, d := range b.got {
			last = max(last, d)
		}
	}
	env.ledger.mu.Lock()
	acc := env.ledger.accepted
	env.ledger.mu.Unlock()
	return fmt.Sprintf("t=%-6s running=%d/%d blocks=%d records=%d lookups=%d reports=%d last-block-to-all=%s rss=%.0fMiB",
		n.rec.Since().Truncate(time.Second), len(n.Running()), len(n.peers), len(blocks), acc,
		len(ops["lookup"]), len(ops["report"]), last.Round(time.Millisecond), m.RSSMiB)
}

// finish fills the report from what the run recorded and the peers' end
// state.
func (env *Env) finish(rep *Report, start time.Time, o RunOptions) {
	n := env.Net
	blocks, ups, ops, events := n.rec.snapshot()
	rep.propagation(blocks, ups, start, len(n.peers))
	rep.witnessed(blocks, n.rec.cosignSnapshot(), n.rec.issuers, len(n.peers))
	rep.Events = events
	rep.Lookups, rep.Reports = opStats(ops["lookup"]), opStats(ops["report"])
	rep.Samples = ops

	l := env.ledger
	l.mu.Lock()
	rep.Records.Submitted, rep.Records.Accepted, rep.Records.Refused, rep.Records.Private = l.submitted, l.accepted, l.refused, l.private
	l.mu.Unlock()
	env.checkRecords(rep, o.MaxCheckedKeys)
	rep.Checks.HeadsIdentical, rep.Checks.Chains, rep.Checks.Diffs = n.HeadsReport()

	env.traffic(rep, blocks, ups)
	env.witnessCost(rep)
	for _, p := range n.Running() {
		st := p.Network().Stats()
		rep.Gossip.Rejected += st.BlocksRejected
		rep.Gossip.Ignored += st.BlocksIgnored
		rep.Gossip.Drops += st.GossipDrops
		rep.Gossip.Synced += st.SyncedBlocks
		rep.Gossip.OutOfOrder += st.OutOfOrder
		rep.Gossip.SyncFail += st.SyncFailures
	}
}

// checkRecords looks every accepted record that was published up in every
// running peer's store (sampled beyond max per peer) and counts those
// missing.
func (env *Env) checkRecords(rep *Report, maxKeys int) {
	n := env.Net
	total := 0
	for i := range n.peers {
		total += len(env.ledger.keysOf(i))
	}
	stride := max(1, (total+maxKeys-1)/maxKeys)
	for _, p := range n.Running() {
		st := p.Store()
		for i, q := range n.peers {
			keys := env.ledger.keysOf(i)
			if stride > 1 {
				var sample [][]byte
				for k := 0; k < len(keys); k += stride {
					sample = append(sample, keys[k])
				}
				keys = sample
			}
			if len(keys) == 0 {
				continue
			}
			found, err := st.HasKeys(q.Issuer, keys)
			rep.Records.Checked += len(keys)
			if err != nil {
				rep.Records.Lost += len(keys)
				continue
			}
			for _, f := range found {
				if !f {
					rep.Records.Lost++
				}
			}
		}
	}
}

// traffic adds up every member's bytes.
func (env *Env) traffic(rep *Report, blocks []blockRec, ups map[int][]interval) {
	n := env.Net
	t := &rep.Traffic
	t.ByProtocol = make(map[string]float64)
	var sent []float64
	var gossipIn int64
	for _, p := range n.peers {
		wo, wi := n.links.WireBytes(p.Index)
		tot := p.bytes.GetBandwidthTotals()
		t.PerPeer = append(t.PerPeer, PeerTraffic{Peer: p.Index, WireOut: wo, WireIn: wi, StreamOut: tot.TotalOut, StreamIn: tot.TotalIn})
		sent = append(sent, float64(wo)/(1<<20))
		for proto, st := range p.bytes.GetBandwidthByProtocol() {
			fam := protocolFamily(string(proto))
			t.ByProtocol[fam] += float64(st.TotalOut) / (1 << 20)
			if fam == "gossip" {
				gossipIn += st.TotalIn
			}
		}
	}
	t.SentMiB = summarize(sent)
	var need int64
	for _, b := range blocks {
		receivers := 0
		for i := range n.peers {
			if i != b.issuer && len(ups[i]) > 0 {
				receivers++
			}
		}
		need += int64(b.bytes) * int64(receivers)
	}
	if need > 0 {
		t.Amplification = float64(gossipIn) / float64(need)
	}
}

// lowestScore is the lowest gossip score an honest running peer gives
// any of the peers faulty.
func (env *Env) lowestScore(faulty []int) float64 {
	lowest := 0.0
	for _, p := range env.Net.Running() {
		if slices.Contains(faulty, p.Index) {
			continue
		}
		scores := p.Network().PeerScores()
		for _, i := range faulty {
			if sc, ok := scores[peerid.OfKey(env.Net.peers[i].Key)]; ok && sc < lowest {
				lowest = sc
			}
		}
	}
	return lowest
}
