// Package builder turns accepted entries into the issuer's own signed
// blocks, without ever losing an accepted entry or signing two different
// published blocks at one height.
//
// The life of an entry:
//
//  1. Submit validates it as every replica will — its fields, and
//     chain.CheckEntry: the issuer's roles (Config.Members), a receipt's
//     signed query, querier and fee — then hands it to the builder's loop,
//     which refuses a key the issuer used before (pending or sealed;
//     ErrDuplicate) and a receipt of another query under a querier's used
//     query ID (ErrQueryIDUsed), gives it a sequence number and writes it
//     to the store's pending pool. Entries of all the
//     submissions waiting at that moment share one batch and one fsync
//     (group commit). Only then does Submit report it accepted.
//     When the group completes at least one block, the entries that fill
//     it skip the pending log: the block is sealed at once and written
//     with the pending mark, while only the entries left over go to the
//     log, side by side, and the group is answered when both are durable
//     (direct.go: each record is written once, and a crash keeps one write,
//     both or neither, having acknowledged nothing).
//  2. The loop seals a block when the pool holds a full block's worth of
//     entries or its oldest entry has waited BlockInterval. Blocks are built
//     in sequence order, signed, and written together with the removal of
//     their entries from the pool in one fsynced batch.
//  3. Only after that batch is durable is a block sent on Sealed() for
//     publishing. While it is written (one batch in flight at a time) the
//     loop checks the submissions that arrive and takes their keys; they
//     are written as the next group once the batch lands. Until it lands,
//     its entries' keys stay taken.
//
// If the store refuses a batch for lack of disk space (store.ErrDiskFull:
// it wrote nothing), its entries go back to the front of the pool and the
// head back where it was; they are sealed again at the same heights a
// second later, or at the next Flush, and the peer goes on meanwhile.
//
// After a crash, New reloads the pool; the store holds every sealed block.
// A block that was signed but whose batch never reached the disk was never
// published, so no one holds it, and the next block at that height (signed
// again from the same pool) is the only one anybody sees.
//
// A store restored from a backup, or lost, holds an older head than the
// blocks this key signed; the node therefore creates the builder Held and
// calls Resume once it has recovered its chain from the network: Resume
// re-reads the head and drops pooled entries the chain already holds (see
// hold.go). Hold stops sealing again.
//
// A block's time is the clock's when it is sealed, never before its
// parent's, and never more than chain.MaxQueryAge before the time of a
// receipt's query it holds: if the clock went back after a receipt was
// accepted, the block takes the time the receipt needs, so that no replica
// rejects it.
//
// One goroutine (Run) owns the pool and the chain head; everything else talks
// to it through channels, as go-libp2p-pubsub's processLoop does.
package builder
