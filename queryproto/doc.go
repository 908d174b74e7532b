// Package queryproto is the query protocol /credmesh/<network>/query/1
// (p2p.QueryProtocol): its messages, the server a member runs, a Go client,
// the light client that verifies payment records against the genesis
// alone, and the credit-report fan-out. docs/PROTOCOL.md is the normative
// wire specification.
//
// # Shape
//
// One request per stream. The client opens a stream, writes one Request
// framed as uvarint(length) || protobuf (at most MaxRequestBytes, 64 KiB),
// closes its write side, and reads one Response framed the same way (at
// most MaxResponseBytes, 4 MiB). The server gives a stream ServerTimeout
// (10 s); the client gives it its context's deadline. Either side resets
// the stream on any error. Every response carries a status: OK, NOT_FOUND,
// BAD_REQUEST, UNAUTHORIZED, RATE_LIMITED, UNAVAILABLE or INTERNAL. Before
// reading a request the server takes a token from the peer's bucket
// (DefaultPeerRate 200/s, burst 400) and from the global bucket
// (DefaultGlobalRate 20,000/s). The memory of every frame over 16 KiB is
// reserved from the stream's resource scope before it is read or written;
// smaller ones are bounded by the resource manager's stream limits.
//
// Operations:
//
//   - heads: every chain's newest signed header. Anyone.
//   - payment: the sealed entries indexed under a lookup hash, each with
//     its audit path and its issuer's signed header. Anyone, light clients
//     included; NOT_FOUND when there is none.
//   - credit query: from members with the query role, answered by members
//     with the credit role. The querier signs a chainpb.CreditQuery
//     ("credmesh/v1/credit-query\x00" || the encoded query); the responder
//     checks, in this order, that the asker is a member (UNAUTHORIZED),
//     that it has the credit role itself (else UNAVAILABLE: it answers no
//     credit queries), that the asker has the query role (UNAUTHORIZED),
//     that the querier is the stream's peer, the network, the signature
//     and freshness (MaxQueryAge, 5 min, either way); the shapes (purpose,
//     consent reference, IDs) were checked as the request was decoded. It answers its credit events and their
//     corrections on its own chain about the subject, each with an
//     inclusion proof, and its private records (store.PutPrivate), in a
//     CreditAnswer it signs ("credmesh/v1/credit-answer\x00" || the encoded
//     answer) that carries SHA-256 of the query bytes, so the answer cannot
//     be passed off as the answer to another query. Before the answer
//     leaves, a QueryReceipt is durable in the responder's pending pool
//     (ReceiptSink): no credit data goes out unrecorded.
//
// # Receipts
//
// A receipt carries the querier's signed query, its exact bytes and
// signature, so every replica checks that the querier asked
// (chain.CheckReceipt: the signature, the querier's query role, the
// network, the genesis fee), and its key is 0x03 || querier ||
// SHA-256(query): one receipt per query, whatever its query ID says. The
// fee is the genesis's (Config.FeeMinor, FeeCurrency), except on a member's
// query of itself, which is not billed: its answer and receipt carry 0 and
// no currency. The same signed query sent again is answered again under
// its receipt (builder.ErrDuplicate), charged once; another query under a
// query ID the querier already used with this responder is refused
// BAD_REQUEST "query ID already used" (builder.ErrQueryIDUsed: a chain
// holds one receipt per querier and query ID, checked against the pending
// pool and the chain), before any record is sent. A querier therefore
// uses a new query ID for every query; Reporter signs a new query, with
// the time of the report, each time it is called.
//
// A receipt proves that its querier signed the query, not which members it
// sent it to: a credit member handed a signed query by the one it was sent
// to could record a receipt of it too. A report sends its query to every
// credit member, so each of them may bill it once; a query sent to one
// member alone (Client.CreditQuery) is not protected that way.
//
// # Duties of the caller
//
// A member's node:
//
//  1. Creates the p2p.Network, the store and its builder.
//  2. Calls NewServer with the host, the store, the key, the builder as
//     ReceiptSink and the genesis fee, and Close on shutdown, before the
//     builder stops.
//  3. Publishes what the builder seals, as for every other entry: the
//     receipts reach every replica, where reports count them.
//  4. For credit reports, makes a Reporter with Local set to its own
//     Server, and calls Report with a query ID it never used before and
//     the subject's consent reference. Report asks the members with the
//     credit role (ourselves too, if we have it), and fails with
//     ErrUnauthorized, asking nobody, if we lack the query role.
//
// A light client makes a host with p2p.New and a nil Store, a LightClient
// with the genesis, and calls LookupPayment. Every record it returns has
// been verified; errors.Is(err, ErrNotFound) means no peer asked holds the
// order ID, and errors.Is(err, ErrVerify) means a peer answered something
// that failed a check (named in the error).
//
// # The report summary
//
// Report verifies every answer (Verify) and computes its Summary from the
// verified answers only, and from the receipts in the local store:
//
//   - Events. For each answer, its chain records are taken in chain order
//     (height, then index); a credit event sets the state of its entry key,
//     a correction REPLACE sets its target key's state to the replacement,
//     a WITHDRAW clears it. The events left, then the answer's private
//     records, are the answer's events. Overdue and defaulted events whose
//     expiry is at or before now are dropped.
//   - Accounts. An account is (answering member, account_id). Its latest
//     event is the one with the greatest occurred_at_ms; among equal times,
//     the later in the order above.
//   - ActiveAccounts: accounts whose latest event is neither CLOSED nor
//     REPAID with outstanding_minor 0.
//   - Outstanding: per currency, the sum of outstanding_minor of the
//     active accounts' latest events.
//   - WorstDaysOverdue: the greatest days_overdue of any event kept (any
//     account, active or not; only overdue and defaulted events carry it).
//   - ActiveLenders: the number of distinct answering members with at
//     least one active account.
//   - LendingQueriers30d / 90d: over every entry about the subject in the
//     local store (store.BySubject, all issuers), the QueryReceipts whose
//     signed query has purpose LOAN_APPLICATION or CREDIT_CARD_APPLICATION
//     and a time_ms at most 30 (90) days before now and at most MaxQueryAge
//     after it, excluding the receipts of this very query (same querier and
//     query ID); the count of distinct queriers. One query leaves a receipt
//     on every answering member's chain, and counts once. The store holds
//     only receipts that passed chain validation, so every querier counted
//     signed its query: no member can make a subject look as if it were
//     applying for many loans. Receipts are never corrected.
//
// Truncated is set when an answer left records out to stay under the
// response cap; the figures then cover only what arrived.
package queryproto
