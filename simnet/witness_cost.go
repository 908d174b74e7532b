package simnet

import (
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/p2p"
)

// WitnessCost is the gossip bytes of the witness topic against those of
// the blocks topic in the same run, summed over the running peers (both
// directions, duplicates and IHAVE/IWANT/IDONTWANT entries included;
// p2p.Stats's BlockTraffic and WitnessTraffic).
type WitnessCost struct {
	Period Duration `json:"period"`
	// Periods is the run's time, from the peers' start to its end, in
	// witness periods: the span the counters cover.
	Periods float64 `json:"periods"`
	// PerPeerPeriodBytes is witness bytes per running peer per period,
	// in and out; BlockPerPeerPeriodBytes the same of blocks.
	PerPeerPeriodBytes      float64 `json:"per_peer_period_bytes"`
	BlockPerPeerPeriodBytes float64 `json:"block_per_peer_period_bytes"`
	// Ratio is witness bytes over block bytes.
	Ratio float64 `json:"ratio"`
	// WitnessMessages and WitnessControl split the witness bytes (all
	// peers) into messages and control entries.
	WitnessMessages uint64 `json:"witness_message_bytes"`
	WitnessControl  uint64 `json:"witness_control_bytes"`
}

// witnessCost fills Report.Witnessed.Cost from the running peers' counters.
func (env *Env) witnessCost(rep *Report) {
	running := env.Net.Running()
	if len(running) == 0 {
		return
	}
	var w, b p2p.TopicTraffic
	for _, p := range running {
		st := p.Network().Stats()
		w = addTraffic(w, st.WitnessTraffic)
		b = addTraffic(b, st.BlockTraffic)
	}
	period := env.Scenario.Chain.WitnessPeriod.D()
	if period == 0 {
		period = chain.DefaultWitnessPeriod
	}
	c := &rep.Witnessed.Cost
	c.Period = Duration(period)
	c.WitnessMessages, c.WitnessControl = w.MessagesIn+w.MessagesOut, w.ControlIn+w.ControlOut
	if c.Periods = float64(env.Net.rec.Since()) / float64(period); c.Periods > 0 {
		c.PerPeerPeriodBytes = float64(w.Total()) / float64(len(running)) / c.Periods
		c.BlockPerPeerPeriodBytes = float64(b.Total()) / float64(len(running)) / c.Periods
	}
	if b.Total() > 0 {
		c.Ratio = float64(w.Total()) / float64(b.Total())
	}
}

func addTraffic(a, b p2p.TopicTraffic) p2p.TopicTraffic {
	return p2p.TopicTraffic{MessagesIn: a.MessagesIn + b.MessagesIn, MessagesOut: a.MessagesOut + b.MessagesOut,
		ControlIn: a.ControlIn + b.ControlIn, ControlOut: a.ControlOut + b.ControlOut}
}
