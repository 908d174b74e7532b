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
// BAD_REQUEST, UNAUTHORIZED, RATE_LIMITED, UNAVAILABLE or INTERNAL. The
// memory of every frame over 16 KiB is reserved from the stream's resource
// scope before it is read or written; smaller ones are bounded by the
// resource manager's stream limits.
//
// # Rate limits
//
// Before reading a request the server takes one token from the remote
// peer's own bucket (Config.PeerRate, default 200/s, burst 400) and one
// from the shared bucket of the peer's class, and answers RATE_LIMITED
// without reading if either is empty. There are two classes: members (the
// genesis members, known by the stream's authenticated peer ID) share the
// members' bucket (MembersRate, default 20,000/s, burst 20,000); every
// other peer — light clients, anyone — shares the clients' bucket
// (ClientsRate, default 20,000/s, burst 20,000). Peer IDs cost nothing to
// make, so a per-peer bucket alone bounds nothing; with one global bucket
// for everybody, light clients could spend it and starve members' credit
// queries. With the classes apart, any number of light clients spend the
// clients' budget only, and a member's requests, credit queries included,
// draw on its own bucket and the members' one, which no one else can
// touch. The class is chosen by peer, not by operation, because the
// request has not been read when the token is taken: a member's heads and
// payment lookups count against the members' budget too. Idle peers'
// buckets are forgotten (a new bucket starts full, so nothing changes).
// node sets the figures from config.toml's [query] section.
//
// Operations:
//
//   - heads: every chain's newest signed header. Anyone.
//   - payment: the sealed entries indexed under a lookup hash, each with
//     its audit path and its issuer's signed header, and the equivocation
//     evidence the server holds against each of their issuers
//     (Config.Evidence; one piece per issuer at most, none about others).
//     Anyone, light clients included; NOT_FOUND when there is none.
//   - payment batch: up to MaxBatchLookups (256) lookup hashes in one
//     request, one item per hash in the answer (OK with its proofs,
//     NOT_FOUND, UNAVAILABLE when left out to fit the response cap, or
//     INTERNAL), each block header the proofs need sent once and named
//     by position (batch.go). It costs one request token per hash, all
//     or none, so batches get no more lookups past the rate limits than
//     single requests. Anyone.
//   - credit query: from members with the query role, answered by members
//     with the credit role. The querier signs a chainpb.CreditQuery
//     ("credmesh/v1/credit-query\x00" || the encoded query); the responder
//     checks, in this order, that the asker is a member (UNAUTHORIZED),
//     that it has the credit role itself (else UNAVAILABLE: it answers no
//     credit queries), that the asker has the query role (UNAUTHORIZED),
//     that the querier is the stream's peer, the network, the signature
//     and freshness (MaxQueryAge, 5 min, either way); the shapes (purpose,
//     consent reference, IDs) were checked as the request was decoded. It
//     answers its credit events and their corrections on its own chain
//     about the subject, each with an inclusion proof, and its private
//     records (store.PutPrivate), in a
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
// its receipt (chain.ErrAlreadyAccepted), charged once; another query under a
// query ID the querier already used with this responder is refused
// BAD_REQUEST "query ID already used" (chain.ErrQueryIDUsed: a chain
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
//     ReceiptSink, the genesis fee and p2p.Network.EvidenceOf as Evidence,
//     and Close on shutdown, before the builder stops.
//  3. Publishes what the builder seals, as for every other entry: the
//     receipts reach every replica, where reports count them.
//  4. For credit reports, makes a Reporter with Local set to its own
//     Server, and calls Report with a query ID it never used before and
//     the subject's consent reference. Report asks the members with the
//     credit role (ourselves too, if we have it), and fails with
//     ErrUnauthorized, asking nobody, if we lack the query role.
//
// A light client makes a host with p2p.New and a nil Store, a LightClient
// with the genesis, and calls Lookup (or LookupPayment). Every record it
// returns has been verified; errors.Is(err, ErrNotFound) means no peer
// asked holds the order ID, errors.Is(err, ErrVerify) that a peer answered
// something that failed a check (a *CheckError names the peer and the
// check), ErrConflict that two or more issuers hold the order ID (the
// *ConflictError carries every record), and ErrForked that an issuer
// equivocated.
//
// # Light-client lookups
//
// One peer must not be able to stall, hide or pick a lookup's answer:
//
//   - Hedging. Lookup wants verified answers from DefaultAnswers (2)
//     peers and asks that many at once; each request has
//     DefaultPeerTimeout (5 s). When a request fails, a peer answers
//     NOT_FOUND, or DefaultHedgeDelay (300 ms) passes without an answer,
//     the next candidate is asked too, at most DefaultMaxPeers (4). When
//     enough have answered the rest are cancelled. A stalled peer costs a
//     lookup the hedge delay, not its deadline. When the caller's
//     deadline ends the lookup with fewer answers than wanted, the ones
//     that verified stand.
//   - Gathering. The records of every answer are merged (one per issuer,
//     height, index and header hash), never one picked: records of two
//     issuers are a conflict. Servers send proofs sorted by issuer key,
//     height, index; any other order is a failed check, so a relaying peer
//     cannot choose which record comes first.
//   - Omissions. A peer whose answer (NOT_FOUND included) leaves out a
//     record another peer served is asked for its heads and then, if its
//     signed head of that issuer's chain is at or above the record's
//     block, for the payment again. The heads are read after the first
//     answer and a store never loses a block, so a peer that still leaves
//     the record out hides it (the "omission" check fails); one whose head
//     is below the block, or that now serves the record, was behind
//     (LookupResult.Behind), which is no error.
//   - Forks. Evidence a peer served with its answer and that verifies
//     against the genesis, two different verified headers of one issuer at
//     one height (from proofs or heads), or two records of one issuer
//     under one order ID, are a *ForkError carrying every forked issuer
//     (Fork, with chain.Evidence for headers at one height and the peers
//     that served it) and every record, those of forked issuers marked
//     Payment.Forked. Evidence that does not verify, or that is about an
//     issuer none of the answer's records is of, or a second piece about
//     one issuer, fails the "evidence" check: the server's rule is exact
//     (PROTOCOL.md 11.4), so anything else is the server's fault, and a
//     client need not verify signatures of evidence that concerns nothing
//     it asked. Evidence cannot be forged, only left out; a peer that
//     leaves it out cannot be told from one that has not learnt of the
//     fork yet, so it is no failed check, and the fork any other peer
//     asked proves stands. Servers find evidence with one map look-up per
//     issuer, so answers about issuers nobody proved forked cost nothing
//     more.
//
// # Batch lookups
//
// LookupBatch sends the order IDs to each peer 256 at a time in one
// request (DefaultBatchParallel requests at once) and keeps, per order
// ID, every rule of Lookup: hedging per order ID (the next candidate is
// asked for the order IDs a failure, NOT_FOUND or the hedge delay left
// short), gathering, omission and fork checks. A batch answer that fails
// any check is rejected whole: every order ID of it gets the failed check,
// since a peer that lies about one record is trusted about none. A
// server that answers BAD_REQUEST to a batch predates them and is asked
// one order ID at a time. Headers whose signatures verified are kept
// (headercache.go, DefaultVerifiedHeaders) under their hash and
// signature, so the records of one block cost one Ed25519 verification
// across a batch and across lookups; every other check runs for every
// record. One stream per lookup costs a stream's open, multistream
// negotiation, yamux and Noise frames and a resource-manager reservation
// each time, about as much CPU as a lookup's own work (docs/BENCHMARKS.md);
// a batch pays them once for up to 256 records.
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
