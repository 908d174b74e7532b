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

// witnessMetrics are the /metrics of witnessing: our own statements, and
// per witness what we received, missed and how far behind it is.
func (n *Node) witnessMetrics(gauge func(string, string, func() float64) prometheus.Collector, counter func(string, string, func() uint64) prometheus.Collector) []prometheus.Collector {
	stats := n.net.Stats
	return []prometheus.Collector{
		counter("witness_cosigned_total", "Statements of heads this peer cosigned.", func() uint64 { return n.net.WitnessStatus().Made }),
		counter("witness_refused_total", "Candidate heads refused for not extending the head cosigned before.", func() uint64 { return n.net.WitnessStatus().Refused }),
		counter("witness_bytes_sent_total", "Bytes of our own witness statements gossiped.", func() uint64 { return stats().WitnessBytesSent }),
		counter("witness_bytes_received_total", "Bytes of witness topic messages received.", func() uint64 { return stats().WitnessBytesReceived }),
		counter("witness_rejected_total", "Witness topic messages rejected as provably bad.", func() uint64 { return stats().WitnessRejected }),
		gauge("witnesses_forked", "Witnesses proven to have cosigned conflicting heads.", func() float64 { return float64(len(n.net.WitnessForked())) }),
		&witnessCollector{n: n,
			received: prometheus.NewDesc("credmesh_witness_received_total", "Statements of a witness verified and kept.", []string{"witness", "name"}, nil),
			missing:  prometheus.NewDesc("credmesh_witness_missing_total", "Our periods at whose end a witness's newest statement was more than two periods old.", []string{"witness", "name"}, nil),
			blocks:   prometheus.NewDesc("credmesh_witness_blocks_behind", "Blocks of the chains we hold a witness has not cosigned yet.", []string{"witness", "name"}, nil),
			seconds:  prometheus.NewDesc("credmesh_witness_seconds_behind", "Age of a witness's newest statement (absent: none yet).", []string{"witness", "name"}, nil),
		},
	}
}

type witnessCollector struct {
	n                                  *Node
	received, missing, blocks, seconds *prometheus.Desc
}

func (c *witnessCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.received
	ch <- c.missing
	ch <- c.blocks
	ch <- c.seconds
}

func (c *witnessCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.n.opts.Now()
	for _, v := range c.n.net.WitnessStatus().Witnesses {
		id, name := peerString(v.Witness), c.n.names[v.Witness]
		ch <- prometheus.MustNewConstMetric(c.received, prometheus.CounterValue, float64(v.Received), id, name)
		ch <- prometheus.MustNewConstMetric(c.missing, prometheus.CounterValue, float64(v.Missing), id, name)
		ch <- prometheus.MustNewConstMetric(c.blocks, prometheus.GaugeValue, float64(v.BlocksBehind), id, name)
		if !v.LastTime.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.seconds, prometheus.GaugeValue, max(0, now.Sub(v.LastTime).Seconds()), id, name)
		}
	}
}
