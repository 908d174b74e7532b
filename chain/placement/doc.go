// Package placement decides, from the genesis alone, which members hold
// which chains in full when a network shards its replication
// (chain.Params.ReplicationFactor = R > 0). It is pure: no I/O, no clock.
//
// Every member ranks the other members for an issuer's chain by
// rendezvous (highest-random-weight) hashing: member m's weight for
// issuer i is SHA-256("credmesh/placement/1\x00" ‖ i ‖ m), read as a
// big-endian number, highest first. The first R of that order are the
// chain's replicas; the issuer holds its own chain besides. Every member
// computes the same order from the same genesis, a member's chains are
// spread evenly (each member replicates about R chains), and removing a
// member from the order moves only the chains it held: each goes to the
// next member in that chain's order, which is how a replica set that
// loses a member is restored to R (Live).
//
// Use:
//
//	pl := placement.New(members, r)
//	pl.Replicas(issuer)          // the R members that hold issuer's chain
//	pl.Holds(self, issuer)       // whether self holds it by placement
//	pl.Live(issuer, down)        // the first R members of the order that are not down
//	pl.Holders(issuer)           // issuer first, then its replicas: whom a lookup asks
package placement
