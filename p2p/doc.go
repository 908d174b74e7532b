// Package p2p is a peer's presence on the credmesh network: a libp2p host
// whose identity is the institution's key, a private Kademlia DHT for
// discovery, gossipsub for blocks and equivocation evidence, and the status
// and sync protocols that let a peer that was away catch up by itself.
//
// Membership is by peer ID, from the genesis. Anyone may connect (light
// clients need the query protocol), but only members pass the pubsub peer
// filter, enter the DHT routing table, and may open status and sync; a peer
// whose status carries another genesis hash is disconnected and banned for
// a while (logged once per ban, with both hashes). That ban stops our dials
// only: when the member restarts with the right genesis and dials us, its
// status lifts the ban at once (gater.go).
//
// The host listens on each configured address on its own, and New fails
// with a *ListenError naming the first one it cannot take: libp2p alone
// would start if any address worked, leaving a peer whose TCP port is
// taken on QUIC alone without a word.
//
// Blocks arrive on /credmesh/<network>/blocks/1. A message's ID is SHA-256
// of its whole data, never the block hash: pubsub marks an ID seen before
// validating and drops later messages with that ID unvalidated, so under a
// header-derived ID a mesh peer that forwarded the genuine header with other
// entries first would get the genuine block dropped as a duplicate wherever
// its copy arrived first. Any altered copy has another ID, so the genuine
// bytes are validated when they arrive, whatever came before them.
//
// The mesh is wider than gossipsub's default: D = 8, Dlo = 6, Dhi = 10,
// Dlazy = 8 (config.go says why and what it measured). Flood publishing
// stays off, so an issuer pushes a new block to its mesh peers only, and
// gossipsub 1.2's IDONTWANT, on by default above 1 KiB, applies to every
// block: it carries our message IDs.
//
// The topic validator decodes the block, runs chain.ValidateBlock against
// our head of that chain and, if it is the next block, stores it before
// accepting, so what we forward we hold. Only what no honest member would
// have accepted is rejected (the sender's score drops past the gossip and
// graylist thresholds: -100 for one invalid message); everything that
// depends on what we hold is ignored: a gap ahead of our head becomes a
// sync from the peer that sent it, and a fork becomes evidence. A block at
// a height we hold with another hash is equivocation at once; a validly
// signed block at head+1 whose previous hash is not our head's is the other
// side of a fork, which an honest member holding that branch forwards in
// good faith, so it is ignored and we fetch, with the sync protocol, the
// sender's block at our head's height (forkprobe.go): if it is validly
// signed and differs from ours, the two headers are the evidence. Sync does
// the same when a range does not follow our head. Evidence is kept in the
// store, gossiped on /credmesh/<network>/evidence/1 (evidence against an
// issuer we already hold evidence against is ignored, not forwarded again)
// and sent in status, and the issuer is marked forked everywhere: its chain
// is no longer replicated. Our own chain is written only by our builder and
// by recovery; blocks of our own issuer from gossip are never stored.
//
// Own-chain recovery (recovery.go). A store restored from a backup or lost
// holds an older head of our own chain than the network; signing from it
// would be equivocation. RecoverOwnChain asks members, with the ordinary
// sync protocol, for our chain above our head (handleSync serves any
// member's chain, the requester's own included), validates each block
// against our head (the signature proves it ours) and stores it; a member
// that answers NOT_FOUND holds nothing further and has answered. Members
// are asked each on its own, so one that stalls (up to SyncTimeout) holds
// nobody up; one that fails is asked again with backoff; the caller says
// how many must answer. Only what our key signed counts: a member's status
// head of our chain above our head (a signed header, verified) or a block
// signed with our key raises OwnChainAhead. A block of ours from gossip is
// never stored: above our head it raises OwnChainAhead, at a height we hold
// with another hash it is evidence. EvidenceAgainstUs closes once evidence
// against our key is received, detected or loaded from the store. The node
// acts on both (package node).
//
// Status (/credmesh/<network>/status/1) runs when identify completes with a
// member, again when a member joins the blocks topic (a block published
// before it subscribed reached it through nobody), and every StatusInterval
// with a random member: both sides send the genesis hash, the signed head of
// every chain they hold and up to 64 pieces of evidence. Every claim is
// verified on arrival (status_verify.go); a status with one that does not
// verify gets its sender scored down (an application penalty past the
// graylist threshold), disconnected and banned for BanDuration, and nothing
// in it is used. The syncer keeps, per chain, the height each peer holds by
// a signed claim and fetches towards the highest; a peer that fails loses
// its claim, so the target falls back, and a height no one can serve (2^63,
// say, even if its issuer signed it) stops being synced once every claimant
// has failed. Sync (/credmesh/<network>/sync/1) serves up to 128 blocks and
// 16 MiB per request, with deadlines on both sides; the client validates
// every block (spread over the cores), stores the valid prefix, and moves to
// another peer when one fails.
// A block from which expired entries were pruned ships them as leaf hash
// and key (pruned.go) and is checked with chain.ValidateSynced; gossip
// never carries that form.
//
// A gossiped block a few heights above our head waits in its validator
// for its parent (orphans.go, bounded) instead of becoming a sync. The DHT
// keeps nothing from outsiders: values off, provider records only from
// members for the rendezvous key, bounded (providers.go). Members keep one
// connection per pair: at start only the lower peer ID dials, duplicates
// are closed, a silent connection is pinged after KeepAlive and closed if
// the ping goes unanswered, and a lost member is dialled again
// (connections.go, keepalive.go).
//
// State and goroutines. The network's shared mutable state has one owner,
// state (state.go), under one lock: the evidence held and the fork probes
// under way, peer scores and penalties, bans (the gater reads them), the
// syncer's claims per chain and which chains a worker fetches, and the
// inbound status exchanges being served. Helpers that need the lock held
// end in Locked. It is a leaf lock held for map work only, never across
// network I/O, a store read or write, a log call or another lock; so the
// gater, which the swarm calls on every dial and accept, waits at most for
// one short map operation, and a store read that a decision needs (our head
// of a chain, when the syncer starts workers) is made between two holds of
// the lock, the decision taken on the state as it is then. A lock rather
// than one goroutine owning the maps (as pubsub's processLoop does): every
// caller here needs an answer at once, the gater and pubsub's score
// callback among them, and a request/reply loop would put a channel round
// trip and a goroutine that must outlive them on each.
//
// Two structures stay apart, each with its own lock, because what they
// guard is not shared with anything above: orphans (orphans.go: blocks
// waiting for their parent, and the channels that wake them, touched only
// by validators and the places that store a block), and the DHT's provider
// records (providers.go), which the DHT calls into and whose lock is held
// around the in-memory datastore it counts. Neither takes another lock
// while holding its own, nor is taken under the state's. The members being
// dialled again are local to the reconnect loop and its redials
// (connections.go). Counters
// (stats.go) and our chain's alarms (own.go) are atomics.
//
// Sharded replication (params.replication_factor > 0; shard*.go,
// docs/SCALE.md): a member holds its own chain and those placement gives
// it, gets their blocks on per-chain topics and every other chain's
// headers on one headers topic, and takes over a chain when enough of its
// holders are lost (shard_takeover.go); lost means disconnected, or not
// answering liveness pings, for LostAfter (shard_liveness.go). The shard's
// maps have their own leaf lock, like the orphans'.
//
// Status exchanges are capped in number (status_cap.go): a member's inbound
// status is served at most twice in any second and twice at once, and at
// most 32 at once in all; over the cap the stream is reset before anything
// is read. An exchange we open that fails is tried once more a second or
// two later.
//
// Every goroutine is started by goTracked (network.go), from New, from
// another tracked goroutine or from a gated validator, and ends once the
// network's context is done; Close cancels it, shuts the gate (waiting for
// stream handlers and validators under way), closes the DHT and host, then
// waits for every tracked goroutine, so nothing of the network runs, or
// uses the store, once Close returns. RecoverOwnChain, run by its caller,
// ends with ErrClosed.
//
// Use:
//
//	n, err := p2p.New(p2p.Config{Params: params, GenesisHash: gh, Members: members,
//		Key: key, Store: st, ListenAddrs: addrs, Bootstrap: genesisAddrs})
//	defer n.Close()
//	for b := range builder.Sealed() { n.Publish(ctx, b) }
package p2p
