package node

import (
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/prometheus/client_golang/prometheus"
)

// witnessing is the status's witness section (p2p.Network.WitnessStatus).
func (n *Node) witnessing() *api.WitnessingStatus {
	ws := n.net.WitnessStatus()
	now := n.opts.Now()
	out := &api.WitnessingStatus{PeriodSeconds: ws.Period.Seconds(), Made: ws.Made, Refused: ws.Refused, Witnesses: []api.WitnessStatus{}}
	if !ws.LastMade.IsZero() {
		out.LastMade = ws.LastMade.UTC().Format(time.RFC3339)
	}
	for _, v := range ws.Witnesses {
		s := api.WitnessStatus{Witness: peerString(v.Witness), Name: n.names[v.Witness], Received: v.Received, Rejected: v.Rejected,
			Ignored: v.Ignored, OtherView: v.OtherView, Missing: v.Missing, BlocksBehind: v.BlocksBehind, Forked: v.Forked}
		if !v.LastTime.IsZero() {
			s.LastCosigned = v.LastTime.UTC().Format(time.RFC3339)
			s.SecondsBehind = max(0, now.Sub(v.LastTime).Seconds())
		}
		out.Witnesses = append(out.Witnesses, s)
	}
	return out
}

// witnessMetrics are the /metrics of witnessing: our own statements, the
// witness topic's bytes against the blocks topic's, and per witness what
// we received, rejected, saw of another view and missed, whether it
// equivocated, and how far behind it is.
func (n *Node) witnessMetrics(gauge func(string, string, func() float64) prometheus.Collector, counter func(string, string, func() uint64) prometheus.Collector) []prometheus.Collector {
	stats := n.net.Stats
	return []prometheus.Collector{
		counter("witness_cosigned_total", "Statements of heads this peer cosigned.", func() uint64 { return n.net.WitnessStatus().Made }),
		counter("witness_refused_total", "Candidate heads refused for not extending the head cosigned before.", func() uint64 { return n.net.WitnessStatus().Refused }),
		counter("witness_bytes_sent_total", "Bytes of our own witness statements gossiped.", func() uint64 { return stats().WitnessBytesSent }),
		counter("witness_bytes_received_total", "Bytes of witness topic messages received.", func() uint64 { return stats().WitnessBytesReceived }),
		counter("witness_rejected_total", "Witness topic messages rejected as provably bad.", func() uint64 { return stats().WitnessRejected }),
		counter("witness_gossip_bytes_in_total", "Witness topic bytes received, duplicates and IHAVE/IWANT/IDONTWANT entries included.", func() uint64 { return stats().WitnessTraffic.In() }),
		counter("witness_gossip_bytes_out_total", "Witness topic bytes sent, forwarded messages and control entries included.", func() uint64 {
			t := stats().WitnessTraffic
			return t.MessagesOut + t.ControlOut
		}),
		counter("block_gossip_bytes_in_total", "Blocks topic bytes received (duplicates and control included): the base of the witness cost ratio.", func() uint64 { return stats().BlockTraffic.In() }),
		gauge("witnesses_forked", "Witnesses proven to have cosigned conflicting heads.", func() float64 { return float64(len(n.net.WitnessForked())) }),
		&witnessCollector{n: n,
			received: prometheus.NewDesc("credmesh_witness_received_total", "Statements of a witness verified and kept.", []string{"witness", "name"}, nil),
			rejected: prometheus.NewDesc("credmesh_witness_statements_rejected_total", "Statements of a witness rejected as provably bad.", []string{"witness", "name"}, nil),
			other:    prometheus.NewDesc("credmesh_witness_other_view_total", "Statements of a witness cosigning a block other than ours at a height (a split view).", []string{"witness", "name"}, nil),
			forked:   prometheus.NewDesc("credmesh_witness_forked", "1 if we hold evidence that a witness equivocated.", []string{"witness", "name"}, nil),
			missing:  prometheus.NewDesc("credmesh_witness_missing_total", "Our periods at whose end a witness's newest statement was more than two periods old.", []string{"witness", "name"}, nil),
			blocks:   prometheus.NewDesc("credmesh_witness_blocks_behind", "Blocks of the chains we hold a witness has not cosigned yet.", []string{"witness", "name"}, nil),
			seconds:  prometheus.NewDesc("credmesh_witness_seconds_behind", "Age of a witness's newest statement (absent: none yet).", []string{"witness", "name"}, nil),
		},
	}
}

type witnessCollector struct {
	n                                                  *Node
	received, rejected, other, forked, missing, blocks *prometheus.Desc
	seconds                                            *prometheus.Desc
}

func (c *witnessCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.received
	ch <- c.rejected
	ch <- c.other
	ch <- c.forked
	ch <- c.missing
	ch <- c.blocks
	ch <- c.seconds
}

func (c *witnessCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.n.opts.Now()
	for _, v := range c.n.net.WitnessStatus().Witnesses {
		id, name := peerString(v.Witness), c.n.names[v.Witness]
		ch <- prometheus.MustNewConstMetric(c.received, prometheus.CounterValue, float64(v.Received), id, name)
		ch <- prometheus.MustNewConstMetric(c.rejected, prometheus.CounterValue, float64(v.Rejected), id, name)
		ch <- prometheus.MustNewConstMetric(c.other, prometheus.CounterValue, float64(v.OtherView), id, name)
		forked := 0.0
		if v.Forked {
			forked = 1
		}
		ch <- prometheus.MustNewConstMetric(c.forked, prometheus.GaugeValue, forked, id, name)
		ch <- prometheus.MustNewConstMetric(c.missing, prometheus.CounterValue, float64(v.Missing), id, name)
		ch <- prometheus.MustNewConstMetric(c.blocks, prometheus.GaugeValue, float64(v.BlocksBehind), id, name)
		if !v.LastTime.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.seconds, prometheus.GaugeValue, max(0, now.Sub(v.LastTime).Seconds()), id, name)
		}
	}
}
