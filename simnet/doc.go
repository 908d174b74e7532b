// Package simnet runs many real credmesh peers — the node package's code,
// unchanged — in one process over simulated links, puts them under load
// and faults, and reports what happened.
//
// # The network
//
// Every peer's libp2p host speaks QUIC over a github.com/marcopolo/simnet
// endpoint (the approach of go-libp2p's x/simlibp2p): no socket is opened,
// and the addresses (/ip4/1.0.0.x/udp/8000/quic-v1) exist only inside the
// process. Each peer has a Link: its one-way latency (a packet from a to b
// waits a.Latency + b.Latency, plus Links.RegionLatency between regions),
// its uplink and downlink bandwidth and its MTU. Links can be partitioned
// into groups, and a peer can be isolated; packets across a cut are
// dropped as they are sent.
//
// NetConfig describes the members; NewNet makes their keys, one subject
// secret and a genesis listing every member at its simulated address, and
// Net.Start runs a node per member through node.New and node.Run, with
// node.Options.Transports set to the simulated QUIC transport, NoAPI,
// InMemoryStore (unless the peer is to crash and restart: a crash keeps
// the disk, so such a peer's store is a directory), and OnBlockStored
// feeding the Recorder. A peer restarted on an empty store (the lost-disk
// case) recovers its own chain from the other members before it signs,
// as every peer does at start; it cannot get back a last block that it
// sealed while cut off, which nobody received. The load starts once every
// peer has recovered its chain (Peer.Ready). Light clients are
// p2p hosts without a store, using queryproto's LightClient.
//
// # Clocks
//
// The same code runs in two clocks. Inside a testing/synctest bubble
// (go test ./simnet) time is virtual: it moves only when every goroutine
// waits, so a 30-second scenario of 30 peers takes about a minute of CPU
// and its figures are the protocols' alone, free of this machine's CPU
// contention. `credmesh sim` runs in wall-clock time, where CPU contention
// on a small machine adds to every figure. Peers refuse a paid_at or
// occurred_at more than a day after their clock, and the virtual clock
// starts in 2000, so the workload moves the dates of its sample records
// (all in 2026) back by whole years to before the run's clock (dateBefore).
//
// # Scenarios
//
// A Scenario is a TOML file; scenarios/*.toml are embedded (Scenarios,
// LoadScenario) and any path ending in .toml is read instead:
//
//	name = "standard"
//	peers = 30
//	duration = "30s"          # how long the load runs
//	settle = "60s"            # bound on the wait for every peer to catch up
//	seed = 1                  # topology and choice of records
//
//	[network]
//	latency = "25ms"          # one-way, between two peers of one region
//	bandwidth_mbps = 100      # every link, each way
//	mtu = 1500
//	topology = "full"         # full | random (degree) | regions (regions, region_latency)
//
//	[chain]                   # genesis parameters
//	block_interval = "500ms"
//	max_block_bytes = 65536
//
//	[load]                    # every loop bounded by duration and max_*
//	issuers = 4               # members 0..3: payment records, rate/s each, batch per Submit
//	rate = 100
//	batch = 25
//	lenders = 2               # the next members: credit events, lender_rate loans/s
//	lender_rate = 4
//	light_clients = 2         # payment lookups, lookup_rate/s each, of records lookup_age old
//	lookup_rate = 4
//	reporters = 1             # the last members: credit reports, report_rate/s, report_timeout
//	report_rate = 0.5
//
//	[[fault]]                 # peers are member indices, negative from the end
//	kind = "partition"        # groups of consecutive members; healed after `for`
//	at = "8s"
//	for = "6s"
//	groups = 2
//
//	[[fault]]
//	kind = "crash"            # cut off, stopped, restarted after `for`
//	at = "18s"
//	for = "5s"
//	peers = [1, 20]
//
// The other kinds are "join" (peers start only at `at`), "faulty" (peers
// publish `rate` provably invalid blocks a second for `for`: signed
// headers whose Merkle root does not match the entries) and "slow" (peers
// get `latency` more one way and `bandwidth_mbps`, from the start).
//
// The embedded scenarios: smoke (8 peers, a bit of everything), standard
// (30 peers: steady load, partition and heal, crash and restart),
// propagation (100 peers, 64 KiB blocks: DESIGN.md's propagation target),
// fanout (credit reports to 20 members at 20 ms RTT, two of them down for
// a while), faults (a faulty member, a slow member and a late joiner on a
// random bootstrap graph) and regions (three regions).
//
// # Running
//
//	s, err := simnet.LoadScenario("standard")
//	rep, err := simnet.Run(ctx, s, simnet.RunOptions{})
//	rep.WriteFiles("/tmp/sim")  // report.json, report.txt, *.png
//
// Run starts the peers and waits until every one is connected to every
// other member (the Setup figure: DHT discovery included), starts the
// light clients, runs the workloads and the faults for the scenario's
// duration, then waits up to the settle time for nothing to be pending
// and every chain to be at its head everywhere, and checks the end state:
// every running peer holds the same head of every chain, and every record
// a workload saw accepted is in every peer's store. Run returns the report
// together with an error when a check fails.
//
// # The report
//
// Block propagation is measured with node.Options.OnBlockStored: the time
// a peer stored a block minus the block header's time (when its issuer
// sealed it), both read from the run's clock (header times have
// millisecond precision). "To all" is, per block, the delay until the last
// peer that ran from the block's sealing to the end of the run stored it;
// it is split by phase (steady, partitioned, healed, crashed, restarted,
// ...) by when the block was sealed. The report also has lookup and
// report latencies and success rates (a report succeeds when every
// running member answered), wire bytes (QUIC included, from the simulated
// endpoints) and stream bytes per protocol family (from a libp2p
// bandwidth reporter) per peer, gossip amplification, convergence times
// after a heal, a restart or a late join (until every running peer holds
// every chain as far as its issuer had sealed when the fault ended),
// gossip rejections and the scores honest peers gave a faulty member, and
// the process's memory (Go heap and RSS) before, after the start and at
// its peak. WriteTable prints it; WritePlots draws propagation over time,
// propagation and query latency CDFs and traffic per peer.
//
// # Sharded replication and routed reports
//
// RunShard (shard.go) is a run of its own, not a Scenario: every member
// issues payments, a light client looks records up from their chain's
// holders, and two replicas of member 0's chain crash for good; it reports
// wire bytes per peer, lookups and the time until R is restored, and the
// test runs it with full replication too, for the ratio. RunRouted
// (routed.go) asks credit reports of everyone and routed by the lenders'
// subject filters, and compares their cost and their answers. The figures
// are in docs/BENCHMARKS.md; the reasoning in docs/SCALE.md.
//
// # Workarounds
//
// The "full" topology has peer i dial peers 0..i-1 (0 dials 1): with the
// node's default, every genesis member, peers that start together dial
// each other at once and every pair keeps two connections (the
// connection manager trims only above MaxPeers), doubling connections,
// goroutines and memory. The simulated addresses look public, so
// libp2p's UDP black-hole detector is turned off: handshakes that time
// out on a CPU-starved machine must not make it refuse QUIC dials. In
// wall-clock runs a few dials still time out at the start and libp2p
// backs off from them for minutes, so after a minute Run starts the load
// once every peer is connected to nine tenths of the members (the report
// says how many).
//
// Simulated peers' stores have the smallest block cache (8 MiB): they are
// in memory already. RunOptions.MemoryLimit sets the Go runtime's soft
// memory limit for a run (the 100-peer tests use 3 GiB), so the collector
// runs before the heap reaches twice what the peers hold live; it costs
// CPU, never virtual time. RunOptions.HeapProfile (CREDMESH_SIM_HEAPPROFILE
// in the tests) keeps the heap profile of the load's peak.
//
// Peers run without their HTTP API (node.Options.NoAPI): its listener
// would be real network I/O, which a synctest bubble cannot wait for.
package simnet
