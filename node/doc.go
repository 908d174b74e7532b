// Package node wires one running peer together: the store, the builder of
// our own chain, the p2p network, the query protocol and the HTTP API.
//
// Open a home with LoadOptions, create the node with New and call Run; it
// returns when its context ends (SIGINT, SIGTERM) after a clean shutdown,
// in this order:
//
//  1. the API stops taking requests and waits for those under way;
//  2. whatever is pending is sealed into a last block and published;
//  3. the query server stops and waits for its handlers;
//  4. pruning and the builder stop;
//  5. the network stops and waits for its stream handlers and pubsub
//     validators;
//  6. the store is closed.
//
// Each service that runs handlers on goroutines it does not own (HTTP,
// libp2p streams, pubsub validators) admits them through a gate
// (internal/gate) and waits for them when it closes, so nothing uses the
// store once it is closed. Anything accepted but not yet sealed when the
// process is killed stays in the durable pending pool and is sealed at the
// next start.
//
// Expired negative entries are pruned by a goroutine of their own, in small
// batches beside the appends, so pruning never holds up sealing,
// publishing or the blocks gossip brings.
//
// Own-chain recovery (recovery.go). The builder is created held and signs
// nothing until our own chain is recovered: guard asks the network
// (p2p.Network.RecoverOwnChain) for the blocks our key signed above the
// store's head until Config.Recovery.MinAnswers members (default half of the
// other members, rounded up) have answered, then resumes the builder, which
// re-reads its head and drops pending entries already in the recovered
// chain. Until then Submit answers api.ErrBusy "recovering own chain from
// the network" (HTTP 503). A block of ours seen above our head holds the
// builder and recovery runs again; evidence against our key holds it for
// good (state "halted"). Why members are asked directly for blocks rather
// than trusting status heads: a status head signed with our key proves a
// block exists above our head, but no member's status proves that none
// does; a member that is stale could let us fork, and "nothing further"
// from enough members is the best a peer can know. A
// genesis of one member has nobody to ask: New refuses it unless
// Options.TrustLocalChain (credmesh run --trust-local-chain) is set. The
// state is in Status().Recovery and the metrics own_chain_recovering and
// sealing_halted; Ready is closed once the peer first seals.
//
// Activity log (activity.go, activitylog.go): members connecting and
// leaving and blocks sealed and stored are logged at info, the first of a
// window (Options.LogEvery, 10 s) at once and the rest summed up at its
// end, so a busy peer writes a few lines a window rather than one per
// block; a peer with no member connected for Options.AloneAfter (1 min)
// warns, and again every ten times as long. The sealing and storing paths
// hand blocks over without blocking and drop them when the log lags: the
// counters and metrics are the exact record, the log a summary.
//
// Run's loop owns the order of I/O: a block the builder hands out is
// already persisted, and the loop publishes it, so nothing is published
// that is not on disk.
package node
