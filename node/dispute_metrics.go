package node

import (
	"encoding/hex"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/prometheus/client_golang/prometheus"
)

// disputeCollector exports, per member, the disputes of its entries that
// are unanswered (open) and unanswered past their deadline (overdue), as
// this replica holds them, read when scraped.
type disputeCollector struct {
	n             *Node
	open, overdue *prometheus.Desc
}

func (n *Node) disputeMetrics() prometheus.Collector {
	return &disputeCollector{n: n,
		open:    prometheus.NewDesc("credmesh_disputes_open", "Subjects' disputes of the member's entries, unanswered, before their deadline.", []string{"issuer", "name"}, nil),
		overdue: prometheus.NewDesc("credmesh_disputes_overdue", "Subjects' disputes of the member's entries unanswered past their deadline (genesis dispute_response_days).", []string{"issuer", "name"}, nil),
	}
}

func (c *disputeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.open; ch <- c.overdue }

func (c *disputeCollector) Collect(ch chan<- prometheus.Metric) {
	for iss, name := range c.n.names {
		views, err := c.n.disputesAgainst(iss)
		if err != nil {
			continue // the store logs its errors; the metric is left out
		}
		var open, overdue int
		for _, v := range views {
			switch v.State {
			case "open":
				open++
			case "overdue":
				overdue++
			}
		}
		id := peerString(iss)
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(open), id, name)
		ch <- prometheus.MustNewConstMetric(c.overdue, prometheus.GaugeValue, float64(overdue), id, name)
	}
}

// describeDispute shows a dispute or a confirmation by its public fields.
func describeDispute(e *chainpb.Entry) (string, map[string]any) {
	if d := e.GetDispute(); d != nil {
		return "dispute", map[string]any{
			"dispute_id": d.DisputeId, "subject_ref": hex.EncodeToString(d.SubjectRef), "issuer": peerString(chain.IssuerID(d.Issuer)),
			"target_key": hex.EncodeToString(d.TargetKey), "statement": d.Statement,
		}
	}
	c := e.GetConfirmation()
	return "confirmation", map[string]any{
		"disputer": peerString(chain.IssuerID(c.Disputer)), "dispute_id": c.DisputeId, "target_key": hex.EncodeToString(c.TargetKey), "reason": c.Reason,
	}
}

// expired reports whether an encoded entry is a negative credit event (or
// a replacement with one) past its expiry at our clock: reports never
// show one, pruned yet or not.
func (n *Node) expired(data []byte) bool {
	e, err := chain.DecodeEntry(data, len(data))
	if err != nil {
		return false
	}
	exp, ok := chain.ExpiresAt(e)
	return ok && !exp.After(n.opts.Now())
}
