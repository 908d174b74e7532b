package simnet

import (
	"runtime"
	"time"
)

// Report is what a run measured. Durations ending in _ns are nanoseconds;
// Percentiles are milliseconds.
type Report struct {
	Scenario    string   `json:"scenario"`
	Description string   `json:"description,omitempty"`
	Clock       string   `json:"clock"` // "virtual" (synctest) or "wall"
	Peers       int      `json:"peers"`
	Duration    Duration `json:"duration"`
	Machine     Machine  `json:"machine"`
	// Setup is how long the peers took to start and connect to every
	// member (DHT discovery included), before the load.
	Setup Duration `json:"setup"`
	// SetupMinConnected is how many other members the least connected
	// peer was connected to when the load began (all of them, unless the
	// setup took over a minute).
	SetupMinConnected int         `json:"setup_min_connected"`
	Network           NetworkSpec `json:"network"`
	// Elapsed is the wall-clock time the run took.
	Elapsed Duration `json:"elapsed"`

	Blocks      BlockStats            `json:"blocks"`
	Propagation Propagation           `json:"propagation"`
	Witnessed   Witnessed             `json:"witnessed"`
	Records     RecordStats           `json:"records"`
	Lookups     OpStats               `json:"lookups"`
	Reports     OpStats               `json:"reports"`
	Traffic     Traffic               `json:"traffic"`
	Convergence []Convergence         `json:"convergence,omitempty"`
	Faults      []FaultResult         `json:"faults,omitempty"`
	Gossip      GossipStats           `json:"gossip"`
	Memory      MemoryReport          `json:"memory"`
	Checks      Checks                `json:"checks"`
	Events      []Event               `json:"events,omitempty"`
	Timeline    []BlockPoint          `json:"timeline,omitempty"`
	Samples     map[string][]OpSample `json:"-"`
	perPeer     []time.Duration
}

// Machine is where the run ran.
type Machine struct {
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go"`
}

// BlockStats counts the blocks peers received.
type BlockStats struct {
	Seen        int     `json:"seen"`         // blocks some peer stored
	Complete    int     `json:"complete"`     // stored by every expected peer
	MeanBytes   float64 `json:"mean_bytes"`   // entry bytes per block
	MeanEntries float64 `json:"mean_entries"` // entries per block
	// ViaSync is the share of (block, peer) deliveries made by sync
	// rather than gossip.
	ViaSync float64 `json:"via_sync"`
}

// Propagation is block propagation delay: stored time minus the header's
// time (when the issuer sealed it), both read from the run's clock.
type Propagation struct {
	// ToAll is, per block, the delay until the last expected peer stored
	// it: peers running from the block's sealing to the end, other than
	// its issuer. Blocks some expected peer never stored are left out
	// (counted in Blocks).
	ToAll Percentiles `json:"to_all"`
	// PerPeer is every (block, receiving peer) delay.
	PerPeer Percentiles `json:"per_peer"`
	// ByPhase is ToAll per phase (steady, partitioned, ...), by the time
	// the block was sealed.
	ByPhase map[string]Percentiles `json:"by_phase"`
}

// BlockPoint is one block on the timeline.
type BlockPoint struct {
	At      float64 `json:"at_s"` // sealed, seconds since the load began
	ToAllMs float64 `json:"to_all_ms"`
	Reached int     `json:"reached"` // peers that stored it
	Phase   string  `json:"phase"`
}

// RecordStats counts the records the workloads submitted.
type RecordStats struct {
	Submitted int `json:"submitted"`
	Accepted  int `json:"accepted"`
	Refused   int `json:"refused"`
	// Private is how many of the accepted records are credit events their
	// lender keeps private (opened, repaid, closed): they are on no chain.
	Private int `json:"private"`
	// Checked is how many (peer, accepted published record) pairs were
	// looked up in the peers' stores at the end; Lost how many were
	// missing. In a run that did not settle, missing records may only be
	// late.
	Checked int `json:"checked"`
	Lost    int `json:"lost"`
}

// OpStats are lookups' or reports' outcomes.
type OpStats struct {
	Count       int         `json:"count"`
	OK          int         `json:"ok"`
	SuccessRate float64     `json:"success_rate"`
	Latency     Percentiles `json:"latency"` // of the successful ones
	// Errors are a few distinct failure messages.
	Errors []string `json:"errors,omitempty"`
	// ByPhase splits the operations by the phase they ended in.
	ByPhase map[string]OpPhase `json:"by_phase,omitempty"`
}

// OpPhase is OpStats of one phase.
type OpPhase struct {
	Count       int         `json:"count"`
	SuccessRate float64     `json:"success_rate"`
	Latency     Percentiles `json:"latency"`
}

// Traffic is what peers sent and received.
type Traffic struct {
	// PerPeer is every member's bytes; wire bytes include QUIC headers,
	// acknowledgements and retransmissions, stream bytes are what
	// libp2p's protocols wrote and read.
	PerPeer []PeerTraffic `json:"per_peer"`
	// SentMiB summarizes wire bytes sent per peer.
	SentMiB Summary `json:"sent_mib"`
	// ByProtocol sums stream bytes sent over all peers, per protocol
	// family (gossip, sync, status, dht, query, identify, other), MiB.
	ByProtocol map[string]float64 `json:"by_protocol_mib"`
	// Amplification is gossip stream bytes received over all peers
	// divided by the block bytes they had to receive (each expected peer
	// once): 1 means every peer got every block exactly once.
	Amplification float64 `json:"gossip_amplification"`
}

// PeerTraffic is one member's bytes.
type PeerTraffic struct {
	Peer      int   `json:"peer"`
	WireOut   int64 `json:"wire_out"`
	WireIn    int64 `json:"wire_in"`
	StreamOut int64 `json:"stream_out"`
	StreamIn  int64 `json:"stream_in"`
}

// Summary is min, median, mean and max of a sample.
type Summary struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Mean   float64 `json:"mean"`
	Max    float64 `json:"max"`
}

// GossipStats add up the members' p2p counters.
type GossipStats struct {
	Rejected uint64 `json:"blocks_rejected"`
	Ignored  uint64 `json:"blocks_ignored"`
	Drops    uint64 `json:"gossip_drops"`
	Synced   uint64 `json:"synced_blocks"`
	SyncFail uint64 `json:"sync_failures"`
	// OutOfOrder are blocks that arrived before their parent, waited for
	// it and were stored through gossip.
	OutOfOrder uint64 `json:"blocks_out_of_order"`
	// FaultyScoreMin is the lowest gossip score any honest peer gave a
	// faulty member during its faulty window, sampled every 100 ms (0
	// without one; the graylist threshold is -80).
	FaultyScoreMin float64 `json:"faulty_score_min,omitempty"`
}

// MemoryReport is the process's memory before the peers started, once
// they had all connected, and at its highest during the load.
type MemoryReport struct {
	Before  Memory `json:"before"`
	Started Memory `json:"started"`
	Peak    Memory `json:"peak"`
	End     Memory `json:"end"`
	// PerPeerMiB is (peak RSS - RSS before) / peers.
	PerPeerMiB float64 `json:"per_peer_mib"`
}

// Checks are the run's end-state assertions.
type Checks struct {
	// HeadsIdentical: every running peer holds the same chains with the
	// same head hashes.
	HeadsIdentical bool     `json:"heads_identical"`
	Chains         int      `json:"chains"`
	Diffs          []string `json:"diffs,omitempty"`
	// Settled: nothing pending and every chain everywhere at its head
	// within the scenario's settle time.
	Settled  bool     `json:"settled"`
	SettleIn Duration `json:"settle_in"`
}

// OK reports whether the run ended well: settled, identical heads, no
// accepted record lost.
func (r *Report) OK() bool {
	return r.Checks.Settled && r.Checks.HeadsIdentical && r.Records.Lost == 0
}

func machine() Machine {
	return Machine{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
}
