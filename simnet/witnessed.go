package simnet

import (
	"sort"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/witness"
	"github.com/credmesh/credmesh/queryproto"
)

// cosignRec is one peer's statement: when it cosigned which heads.
type cosignRec struct {
	peer  int
	at    time.Time
	heads []witness.Head
}

// Witnessed is how long blocks took to be cosigned by K members other
// than their issuer (the light client's default policy), from their
// sealing to the K-th member's signing.
type Witnessed struct {
	K int `json:"k"`
	// Reached counts the blocks that reached K cosignatures during the
	// run; the others were sealed too late or their chain was not
	// cosigned by enough members.
	Reached int         `json:"reached"`
	ToK     Percentiles `json:"to_k"`
	// Cost is what witnessing cost the peers in bytes (witness_cost.go).
	Cost WitnessCost `json:"cost"`
}

// cosigned records a statement a peer made (p2p.Config.OnCosigned).
func (r *Recorder) cosigned(peer int, s *witness.Statement) {
	rec := cosignRec{peer: peer, at: time.Now(), heads: s.Heads}
	r.mu.Lock()
	r.cosigns = append(r.cosigns, rec)
	r.mu.Unlock()
}

func (r *Recorder) cosignSnapshot() []cosignRec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]cosignRec(nil), r.cosigns...)
}

// witnessed fills Report.Witnessed: for each block, the time from its
// sealing to the K-th distinct member other than its issuer cosigning a
// head of its chain at its height or above.
func (r *Report) witnessed(blocks []blockRec, cosigns []cosignRec, issuers map[chain.IssuerID]int, peers int) {
	k := queryproto.DefaultWitnesses(peers)
	r.Witnessed = Witnessed{K: k}
	if k == 0 {
		return
	}
	// first[issuer][peer] lists that peer's statements of the chain in
	// time order (heights never go down).
	type point struct {
		at     time.Time
		height uint64
	}
	first := make(map[int]map[int][]point)
	sort.Slice(cosigns, func(i, j int) bool { return cosigns[i].at.Before(cosigns[j].at) })
	for _, c := range cosigns {
		for _, h := range c.heads {
			iss, ok := issuers[h.Issuer]
			if !ok {
				continue
			}
			if first[iss] == nil {
				first[iss] = make(map[int][]point)
			}
			first[iss][c.peer] = append(first[iss][c.peer], point{c.at, h.Height})
		}
	}
	var toK []time.Duration
	for _, b := range blocks {
		var ats []time.Time
		for p, pts := range first[b.issuer] {
			if p == b.issuer {
				continue
			}
			for _, pt := range pts {
				if pt.height >= b.height {
					ats = append(ats, pt.at)
					break
				}
			}
		}
		if len(ats) < k {
			continue
		}
		sort.Slice(ats, func(i, j int) bool { return ats[i].Before(ats[j]) })
		toK = append(toK, max(0, ats[k-1].Sub(b.sealed)))
	}
	r.Witnessed.Reached = len(toK)
	r.Witnessed.ToK = percentiles(toK)
}
