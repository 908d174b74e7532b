// Package p2p is a peer's presence on the credmesh network: a libp2p host
// whose identity is the institution's key, a private Kademlia DHT for
// discovery, gossipsub for blocks and equivocation evidence, and the status
// and sync protocols that let a peer that was away catch up by itself.
//
// Membership is by peer ID, from the genesis. Anyone may connect (light
// clients need the query protocol), but only members pass the pubsub peer
// filter, enter the DHT routing table, and may open status and sync; a peer
// whose status carries another genesis hash is disconnected and banned for
// a while.
//
// Blocks arrive on /credmesh/<network>/blocks/1. The topic validator decodes
// the block, runs chain.ValidateBlock against our head of that chain and, if
// it is the next block, stores it before accepting, so what we forward we
// hold. Provably bad blocks are rejected (the sender's score drops past the
// gossip and graylist thresholds: -100 for one invalid message); blocks we
// cannot judge yet are ignored, and a gap ahead of our head becomes a sync
// from the peer that sent it. A block at a height we hold with another hash
// is equivocation: the two headers become evidence, kept in the store and
// gossiped on /credmesh/<network>/evidence/1, and the issuer is marked
// forked everywhere. Our own chain is written only by our builder and by
// recovery; blocks of our own issuer from gossip are never stored.
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
// how many must answer. Only signed blocks count: a status height is not
// signed, so a status claiming our chain above our head makes us fetch the
// next block from that member first (checkOwnClaim), and only a block
// signed with our key raises OwnChainAhead. A block of ours from gossip is
// never stored: above our head it raises OwnChainAhead, at a height we hold
// with another hash it is evidence. EvidenceAgainstUs closes once evidence
// against our key is received, detected or loaded from the store. The node
// acts on both (package node).
//
// Status (/credmesh/<network>/status/1) runs when identify completes with a
// member, again when a member joins the blocks topic (a block published
// before it subscribed reached it through nobody), and every StatusInterval
// with a random member: both sides send genesis hash and heads. Sync (/credmesh/<network>/sync/1) serves up to 128
// blocks and 16 MiB per request, with deadlines on both sides; the client
// validates every block (spread over the cores), stores the valid prefix,
// and moves to another peer when one fails. A block from which expired
// entries were pruned ships them as leaf hash and key (pruned.go) and is
// checked with chain.ValidateSynced; gossip never carries that form.
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
// Use:
//
//	n, err := p2p.New(p2p.Config{Params: params, GenesisHash: gh, Members: members,
//		Key: key, Store: st, ListenAddrs: addrs, Bootstrap: genesisAddrs})
//	defer n.Close()
//	for b := range builder.Sealed() { n.Publish(ctx, b) }
package p2p
