package p2p

import "sync/atomic"

// Stats are the network's counters since start, for metrics.
type Stats struct {
	BlocksReceived uint64 // gossip messages on the blocks topic
	BlocksStored   uint64 // blocks stored from gossip or sync
	BlocksRejected uint64 // provably invalid blocks (sender penalized)
	BlocksIgnored  uint64 // duplicates, gaps, blocks we could not judge yet
	GossipDrops    uint64 // messages pubsub dropped: full validation or outbound queues
	SyncedBlocks   uint64 // blocks stored through sync
	SyncServed     uint64 // sync requests answered
	SyncFailures   uint64 // sync requests that failed and moved to another peer
	EvidenceSeen   uint64 // equivocations detected or received
	// Misbehaved counts peers scored down and disconnected for a claim
	// that does not verify (a status head or evidence).
	Misbehaved uint64
	// RecoveredBlocks are blocks of our own chain stored by recovery.
	RecoveredBlocks uint64
	// DHTRefused counts DHT writes refused (values, and provider records
	// of non-members or for keys other than the rendezvous key);
	// ProviderRecords is how many provider records the DHT holds now.
	DHTRefused      uint64
	ProviderRecords int
	// DuplicateConnections are second connections to a member closed;
	// DeadConnections are those of them closed because they did not
	// answer a ping (keepalive.go; yamux's keep-alive closes the others).
	DeadConnections      uint64
	DuplicateConnections uint64
	// OutOfOrder are gossiped blocks that arrived before their parent and
	// waited for it (orphans.go).
	OutOfOrder uint64
	// Witnessing (witness_*.go): bytes of our own statements gossiped and
	// of witness topic messages received (before validation), messages
	// rejected as provably bad, and witnesses found equivocating.
	WitnessBytesSent, WitnessBytesReceived uint64
	WitnessRejected, WitnessEvidence       uint64
	// Gossip bytes per class of topic, duplicates and control entries
	// included (gossip_traffic.go): blocks (and shard topics), witness.
	BlockTraffic, WitnessTraffic TopicTraffic
}

type counters struct {
	blocksReceived, blocksStored, blocksRejected, blocksIgnored atomic.Uint64
	gossipDrops                                                 atomic.Uint64
	syncedBlocks, syncServed, syncFailures                      atomic.Uint64
	evidenceSeen, misbehaved                                    atomic.Uint64
	recoveredBlocks                                             atomic.Uint64
	dhtRefused                                                  atomic.Uint64
	deadConnections, duplicateConnections                       atomic.Uint64
	outOfOrder                                                  atomic.Uint64
	witnessBytesSent, witnessBytesReceived                      atomic.Uint64
	witnessRejected, witnessEvidence                            atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (n *Network) Stats() Stats {
	c := &n.stats
	return Stats{
		BlocksReceived: c.blocksReceived.Load(),
		BlocksStored:   c.blocksStored.Load(),
		BlocksRejected: c.blocksRejected.Load(),
		BlocksIgnored:  c.blocksIgnored.Load(),
		GossipDrops:    c.gossipDrops.Load(),
		SyncedBlocks:   c.syncedBlocks.Load(),
		SyncServed:     c.syncServed.Load(),
		SyncFailures:   c.syncFailures.Load(),
		EvidenceSeen:   c.evidenceSeen.Load(),
		Misbehaved:     c.misbehaved.Load(),

		RecoveredBlocks: c.recoveredBlocks.Load(),
		DHTRefused:      c.dhtRefused.Load(),
		ProviderRecords: int(n.providers.count.Load()),

		DeadConnections:      c.deadConnections.Load(),
		DuplicateConnections: c.duplicateConnections.Load(),
		OutOfOrder:           c.outOfOrder.Load(),

		WitnessBytesSent:     c.witnessBytesSent.Load(),
		WitnessBytesReceived: c.witnessBytesReceived.Load(),
		WitnessRejected:      c.witnessRejected.Load(),
		WitnessEvidence:      c.witnessEvidence.Load(),

		BlockTraffic:   n.traffic.blocks.snapshot(),
		WitnessTraffic: n.traffic.witness.snapshot(),
	}
}
