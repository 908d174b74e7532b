package simnet

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// peerSpecs turns a scenario's network section and faults into the
// members' links, bootstrap lists and start times.
func (s *Scenario) peerSpecs() []PeerSpec {
	rng := rand.New(rand.NewPCG(s.Seed, 0x5eed))
	n := s.Peers
	bps := int(s.Network.BandwidthMbps * 1e6)
	specs := make([]PeerSpec, n)
	for i := range specs {
		specs[i] = PeerSpec{
			Name: fmt.Sprintf("member-%03d", i),
			Link: Link{Latency: s.Network.Latency.D() / 2, UplinkBps: bps, DownlinkBps: bps, MTU: s.Network.MTU},
		}
	}
	switch s.Network.Topology {
	case "full":
		fullBootstrap(specs)
	case "random":
		randomBootstrap(specs, s.Network.Degree, rng)
	case "regions":
		regionBootstrap(specs, s.Network.Regions, rng)
	}
	for _, f := range s.Faults {
		for _, p := range f.Peers {
			sp := &specs[s.peerIndex(p)]
			switch f.Kind {
			case "crash":
				sp.Disk = true // survives the restart
			case "join":
				sp.Late = true
			case "slow":
				sp.Link.Latency += f.Latency.D()
				if f.BandwidthMbps > 0 {
					sp.Link.UplinkBps = int(f.BandwidthMbps * 1e6)
					sp.Link.DownlinkBps = sp.Link.UplinkBps
				}
			}
		}
	}
	return specs
}

// fullBootstrap has every peer dial the members before it, so each pair
// is dialled once. With the node's default (every genesis member), peers
// that start together dial each other at the same moment and every pair
// ends up with two connections, which the connection manager keeps (see
// the package doc).
func fullBootstrap(specs []PeerSpec) {
	for i := range specs {
		specs[i].Bootstrap = []int{}
		for j := range i {
			specs[i].Bootstrap = append(specs[i].Bootstrap, j)
		}
	}
	if len(specs) > 1 {
		specs[0].Bootstrap = []int{1} // none would mean every member
	}
}

// randomBootstrap gives every peer degree distinct random others to dial,
// a random graph where every peer has at least degree neighbours (about
// 2 × degree counting those that dial it).
func randomBootstrap(specs []PeerSpec, degree int, rng *rand.Rand) {
	n := len(specs)
	degree = min(degree, n-1)
	for i := range specs {
		perm := rng.Perm(n)
		specs[i].Bootstrap = []int{}
		for _, j := range perm {
			if len(specs[i].Bootstrap) == degree {
				break
			}
			if j != i {
				specs[i].Bootstrap = append(specs[i].Bootstrap, j)
			}
		}
	}
}

// regionBootstrap splits peers into regions of consecutive indices: each
// dials every peer of its region and one random peer of another region.
func regionBootstrap(specs []PeerSpec, regions int, rng *rand.Rand) {
	n := len(specs)
	regions = max(1, min(regions, n))
	region := func(i int) int { return i * regions / n }
	for i := range specs {
		r := region(i)
		specs[i].Link.Region = fmt.Sprintf("region-%d", r)
		specs[i].Bootstrap = []int{}
		var outside []int
		for j := range specs {
			switch {
			case j == i:
			case region(j) == r:
				specs[i].Bootstrap = append(specs[i].Bootstrap, j)
			default:
				outside = append(outside, j)
			}
		}
		if len(outside) > 0 {
			specs[i].Bootstrap = append(specs[i].Bootstrap, outside[rng.IntN(len(outside))])
		}
	}
}

// regionLatency is the extra one-way latency between regions.
func (s *Scenario) regionLatency() time.Duration {
	if s.Network.Topology != "regions" {
		return 0
	}
	return s.Network.RegionLatency.D()
}
