// Package chain is the pure core of credmesh: entries, blocks, their
// validation and equivocation evidence. It does no I/O and reads no clock;
// time is always an argument.
//
// Every member institution writes one chain of blocks. A block is a signed
// Header and the encoded entries its RFC 6962 Merkle root commits to. The
// issuer signs "credmesh/v1/header\x00" followed by the exact header bytes it
// ships, and the block hash is SHA-256 of those bytes; verifiers check the
// bytes they received and never re-encode them.
//
// A caller receiving a block does:
//
//  1. b, err := chain.DecodeBlock(data, params) — malformed or oversized
//     bytes fail here.
//  2. vb, err := chain.ValidateBlock(b, head, members, params, now), where
//     head is the newest header it holds of b's issuer (nil if none).
//  3. On error, chain.IsProvable(err) says whether the block is provably bad
//     (a gossip validator rejects it and penalizes the sender) or cannot be
//     judged yet (unknown parent, height ahead, already known, from the
//     future, another previous hash than our head's: it is ignored, and a
//     gap schedules a sync). If a block at a known height has a different
//     hash than the stored one, NewEvidence turns the two headers into
//     equivocation evidence; a block that does not link to our head is the
//     other side of a fork until the header it links to is fetched.
//  4. On success it persists vb, and only then forwards or serves it.
//
// Each header also commits to its chain's history (History): the RFC 6962
// root over the hashes of the blocks before it, checked by ValidateBlock
// against the parent's history (SignedHeader.History, which the store's
// heads and every sealed or validated block carry). VerifyInHistory then
// proves any block in any later head of its chain with O(log n) hashes.
//
// Entries are protobuf messages (package chainpb) validated field by field by
// ValidateEntry; every entry has a key unique within its issuer's chain
// (EntryKey), and a receipt a second one (QueryIDKey). Payment records
// travel sealed (see package privacy).
//
// What an entry may be depends on where it is written (CheckEntry, run by
// ValidateBlock on every entry and by the builder on every submission):
// the issuer's roles allow it (CheckRights: payments need RolePayments,
// credit events RoleCredit, receipts RoleCredit and a querier with
// RoleQuery), and a receipt is provable (CheckReceipt): it carries the
// querier's signed CreditQuery, exactly as signed, whose signature
// verifies, for our network, with the genesis fee (none on a member's
// query of itself), made at most MaxQueryAge after its block. A failure of
// either is provable. Receipts and corrections are never corrected.
//
// A subject's Dispute of an entry may be written by any member but the
// entry's issuer, which answers with a Correction or a Confirmation (the
// role of the disputed kind needed); whether the disputed entry exists and
// is about the subject, and which answer matches which dispute, needs
// other chains and is the reader's to judge (docs/PROTOCOL.md 22.2).
package chain
