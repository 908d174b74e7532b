package node

import (
	"strings"
	"time"

	"github.com/credmesh/credmesh/internal/version"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// newRegistry exposes the node's state to Prometheus. Every value is read
// when scraped, so nothing on the hot paths updates a metric.
func (n *Node) newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	counter := func(name, help string, f func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "credmesh", Name: name, Help: help}, func() float64 { return float64(f()) })
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "credmesh", Name: name, Help: help}, f)
	}
	stats := n.net.Stats
	reg.MustRegister(
		gauge("peers", "Connected peers.", func() float64 { return float64(len(n.net.Host().Network().Peers())) }),
		gauge("member_peers", "Connected genesis members.", func() float64 { return float64(len(n.net.ConnectedMembers())) }),
		gauge("forked_issuers", "Issuers proven to have equivocated.", func() float64 { return float64(len(n.net.Forked())) }),
		gauge("forks_unacknowledged", "Forked issuers no operator has acknowledged (credmesh evidence ack).", n.forksUnacknowledged),
		counter("records_accepted_total", "Records accepted (durable) by our builder; rate() is the ingest rate.", n.accepted.Load),
		counter("records_refused_total", "Records refused on submission.", n.refused.Load),
		counter("blocks_sealed_total", "Blocks of our own chain sealed and published.", n.sealed.Load),
		counter("blocks_received_total", "Blocks received on the gossip topic.", func() uint64 { return stats().BlocksReceived }),
		counter("blocks_stored_total", "Blocks of other members stored (gossip and sync).", func() uint64 { return stats().BlocksStored }),
		counter("blocks_rejected_total", "Provably invalid blocks rejected.", func() uint64 { return stats().BlocksRejected }),
		counter("blocks_ignored_total", "Blocks ignored: duplicates, gaps, not yet judgeable.", func() uint64 { return stats().BlocksIgnored }),
		counter("gossip_drops_total", "Gossip messages dropped for full queues.", func() uint64 { return stats().GossipDrops }),
		counter("synced_blocks_total", "Blocks stored through sync.", func() uint64 { return stats().SyncedBlocks }),
		counter("sync_failures_total", "Sync requests that failed.", func() uint64 { return stats().SyncFailures }),
		gauge("store_healthy", "1 while no read has met corruption in the store, 0 after (run credmesh check).", n.storeHealthy),
		counter("store_corruptions_total", "Reads that met corruption in the store.", func() uint64 { return n.store.Health().Corruptions }),
		gauge("own_chain_recovering", "1 while the peer recovers its own chain from the network and signs nothing.", func() float64 { return b2f(n.own.state() == OwnRecovering) }),
		gauge("sealing_halted", "1 once there is evidence against our own key: sealing stopped for good.", func() float64 { return b2f(n.own.state() == OwnHalted) }),
		counter("recovered_blocks_total", "Blocks of our own chain recovered from members.", func() uint64 { return stats().RecoveredBlocks }),
		counter("blocks_out_of_order_total", "Gossiped blocks that arrived before their parent and waited for it.", func() uint64 { return stats().OutOfOrder }),
		counter("duplicate_connections_total", "Second connections to a member closed (dead ones included).", func() uint64 {
			s := stats()
			return s.DuplicateConnections + s.DeadConnections
		}),
		counter("dht_refused_total", "DHT writes refused: values, provider records of non-members or for other keys.", func() uint64 { return stats().DHTRefused }),
		&headsCollector{n: n, desc: prometheus.NewDesc("credmesh_chain_height", "Height of every chain held.", []string{"issuer", "name"}, nil)},
		n.disputeMetrics(),
		n.queryLatency.hist,
		gauge("pending_lost_records", "Acknowledged records lost to damaged pending logs that were set aside.", func() float64 {
			if l := n.pendingLost(); l != nil {
				return float64(l.Records)
			}
			return 0
		}),
	)
	reg.MustRegister(n.diskMetrics(gauge, counter)...)
	reg.MustRegister(n.sourceMetrics(gauge, counter)...)
	reg.MustRegister(n.witnessMetrics(gauge, counter)...) // witness.go
	v := version.Get()
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "credmesh", Name: "build_info", Help: "Always 1; the labels say which build the peer runs.",
		ConstLabels: prometheus.Labels{"version": v.Version, "commit": v.Commit, "go": v.Go},
	}, func() float64 { return 1 }))
	return reg
}

// queryLatency is the histogram of the query server's answers, by
// operation and status.
type queryLatency struct{ hist *prometheus.HistogramVec }

func newQueryLatency() queryLatency {
	return queryLatency{hist: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "credmesh", Name: "query_seconds",
		Help:    "Time the query server took to answer, by operation and status.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	}, []string{"op", "status"})}
}

func (q queryLatency) observe(op string, status querypb.Status, took time.Duration) {
	q.hist.WithLabelValues(op, strings.ToLower(strings.TrimPrefix(status.String(), "STATUS_"))).Observe(took.Seconds())
}

type headsCollector struct {
	n    *Node
	desc *prometheus.Desc
}

func (c *headsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *headsCollector) Collect(ch chan<- prometheus.Metric) {
	for iss, h := range c.n.store.Heads() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(h.Height), peerString(iss), c.n.names[iss])
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
