// Package witness is the pure core of witnessing: what a member cosigns
// each witness period, how a cosignature of one chain's head is checked,
// the never-regress rule, and what makes two cosignatures equivocation
// evidence. It does no I/O; p2p gossips and stores what it makes, and the
// light client (queryproto) checks what it verifies.
//
// A witness's statement for one period lists the head (issuer, height,
// block hash) of every chain it has verified, sorted by issuer key. Its
// leaves are Leaf(head) = issuer ‖ height (8 bytes, big-endian) ‖ hash, and
// their RFC 6962 root goes into a tlog-checkpoint (C2SP) whose origin is
// Origin(networkID) and whose size is the number of chains. The witness
// signs the checkpoint with a tlog-cosignature/v1 Ed25519 signature
// (github.com/transparency-dev/formats/note), under the key name
// KeyName(witness): one signature covers every chain, and each chain's
// head is shown to a light client with its leaf's audit path.
//
// Usage, for a witness:
//
//  1. Each period, pick the candidate heads (Candidate: the newest block of
//     each chain sealed at least the lag before now), then Advance them
//     over the heads last cosigned, with a function that tells whether a
//     candidate extends a last-cosigned head; Advance never lets a chain
//     go back or sideways.
//  2. Persist the new heads, then Sign them, then gossip.
//
// For a verifier: HeadCosignature.Verify, then decide whether the
// cosigned head covers the block in question (the same block, or a later
// head whose history holds it).
//
// docs/PROTOCOL.md section 17 specifies the format.
package witness
