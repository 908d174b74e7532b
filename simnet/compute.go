package simnet

import (
	"sort"
	"strings"
	"time"
)

// propagation computes Blocks, Propagation and Timeline from the recorder.
func (r *Report) propagation(blocks []blockRec, ups map[int][]interval, start time.Time, peers int) {
	var toAll, perPeer []time.Duration
	byPhase := make(map[string][]time.Duration)
	var bytes, entries, deliveries, viaSync int
	for _, b := range blocks {
		bytes += b.bytes
		entries += b.entries
		for _, d := range b.got {
			perPeer = append(perPeer, d)
		}
		deliveries += len(b.got)
		viaSync += b.viaSync
		var worst time.Duration
		complete := true
		for i := range peers {
			if i == b.issuer || !upThrough(ups[i], b.sealed) {
				continue
			}
			d, ok := b.got[i]
			if !ok {
				complete = false
				break
			}
			worst = max(worst, d)
		}
		if !complete {
			continue
		}
		r.Blocks.Complete++
		toAll = append(toAll, worst)
		byPhase[b.phase] = append(byPhase[b.phase], worst)
		r.Timeline = append(r.Timeline, BlockPoint{At: b.sealed.Sub(start).Seconds(), ToAllMs: ms(worst), Reached: len(b.got), Phase: b.phase})
	}
	r.Blocks.Seen = len(blocks)
	if len(blocks) > 0 {
		r.Blocks.MeanBytes = float64(bytes) / float64(len(blocks))
		r.Blocks.MeanEntries = float64(entries) / float64(len(blocks))
	}
	if deliveries > 0 {
		r.Blocks.ViaSync = float64(viaSync) / float64(deliveries)
	}
	r.perPeer = perPeer
	r.Propagation = Propagation{ToAll: percentiles(toAll), PerPeer: percentiles(perPeer), ByPhase: make(map[string]Percentiles)}
	for ph, ds := range byPhase {
		r.Propagation.ByPhase[ph] = percentiles(ds)
	}
}

// upThrough reports whether a peer with these up intervals ran from t to
// the end without a break.
func upThrough(iv []interval, t time.Time) bool {
	if len(iv) == 0 {
		return false
	}
	last := iv[len(iv)-1]
	return last.to.IsZero() && !last.from.After(t)
}

func opStats(ss []OpSample) OpStats {
	st := OpStats{Count: len(ss)}
	var lat []time.Duration
	seen := map[string]bool{}
	for _, s := range ss {
		if s.OK {
			st.OK++
			lat = append(lat, s.Latency)
			continue
		}
		if msg := shorten(s.Detail); msg != "" && !seen[msg] && len(st.Errors) < 5 {
			seen[msg] = true
			st.Errors = append(st.Errors, msg)
		}
	}
	if st.Count > 0 {
		st.SuccessRate = float64(st.OK) / float64(st.Count)
	}
	st.Latency = percentiles(lat)
	phases := map[string][]OpSample{}
	for _, s := range ss {
		phases[s.Phase] = append(phases[s.Phase], s)
	}
	if len(phases) > 1 {
		st.ByPhase = make(map[string]OpPhase)
		for ph, xs := range phases {
			var lat []time.Duration
			ok := 0
			for _, s := range xs {
				if s.OK {
					ok++
					lat = append(lat, s.Latency)
				}
			}
			st.ByPhase[ph] = OpPhase{Count: len(xs), SuccessRate: float64(ok) / float64(len(xs)), Latency: percentiles(lat)}
		}
	}
	return st
}

func shorten(s string) string {
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}

func summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	var sum float64
	for _, x := range s {
		sum += x
	}
	return Summary{Min: s[0], Median: s[len(s)/2], Mean: sum / float64(len(s)), Max: s[len(s)-1]}
}

// protocolFamily groups libp2p protocol IDs for the traffic report.
func protocolFamily(p string) string {
	switch {
	case strings.HasPrefix(p, "/meshsub/"), strings.HasPrefix(p, "/floodsub/"):
		return "gossip"
	case strings.HasSuffix(p, "/sync/1"):
		return "sync"
	case strings.HasSuffix(p, "/status/1"):
		return "status"
	case strings.HasSuffix(p, "/query/1"):
		return "query"
	case strings.Contains(p, "/kad/"):
		return "dht"
	case strings.HasPrefix(p, "/ipfs/id/"), strings.HasPrefix(p, "/ipfs/ping/"):
		return "identify"
	}
	return "other"
}
