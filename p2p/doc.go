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
// forked everywhere. Our own chain is written only by our builder; blocks of
// our own issuer from the network are ignored.
//
// Status (/credmesh/<network>/status/1) runs when identify completes with a
// member, again when a member joins the blocks topic (a block published
// before it subscribed reached it through nobody), and every StatusInterval
// with a random member: both sides send genesis hash and heads. Sync (/credmesh/<network>/sync/1) serves up to 128
// blocks and 16 MiB per request, with deadlines on both sides; the client
// validates every block (spread over the cores), stores the valid prefix,
// and moves to another peer when one fails.
//
// Use:
//
//	n, err := p2p.New(p2p.Config{Params: params, GenesisHash: gh, Members: members,
//		Key: key, Store: st, ListenAddrs: addrs, Bootstrap: genesisAddrs})
//	defer n.Close()
//	for b := range builder.Sealed() { n.Publish(ctx, b) }
package p2p
