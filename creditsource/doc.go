// Package creditsource is the standard data interface between a member's
// query server and the institution's own credit data: the one place a
// credit query asks "what do we hold on this subject?".
//
// Credit data never leaves the institution except inside signed answers
// to credit queries. Where it lives is the institution's choice; each
// place is one Source:
//
//   - Store: the peer's embedded Pebble store, filled by credit import
//     and POST /v1/records (the default).
//   - creditsource/pgsource: the institution's own PostgreSQL, read at
//     query time through a view or a query it names in config.toml, so an
//     answer is as fresh as the lender's books.
//
// # The contract
//
// Events(ctx, subject) returns every private credit event the member
// holds about the subject: each an encoded chain Entry holding one
// CreditEvent (chain.EncodeEntry), issued by this member, whose
// subject_ref is subject, that passes chain.ValidateCreditEvent. The
// order is the source's own and stable; an answer carries the events as
// returned (within its size budget) and the asking peer combines them.
// No events is an empty, nil-error result: "this member holds nothing on
// the subject". It is never the answer to a failure.
//
// Deadline: ctx carries the credit query's deadline (what is left of the
// query server's stream deadline, or of the report's for our own
// query). A source returns by it, whatever its backend does: a source
// that cannot answer in time returns an error wrapping ErrUnavailable.
//
// Errors:
//
//   - ErrUnavailable: the backend is down, slow or refusing (connection
//     refused, pool exhausted, statement timeout, deadline). The query
//     server answers STATUS_UNAVAILABLE and the report shows the member
//     as "unavailable", never as holding no accounts.
//   - ErrBadRow: the backend answered, but a row does not make a valid
//     credit event (a null, a negative amount, an unknown status). The
//     error names the row (its account and position), never the
//     subject's ID. Also answered STATUS_UNAVAILABLE: an answer with the
//     row left out would understate the subject's debts.
//   - ErrMapping: the mapping from the institution's data does not fit
//     (a missing column, a wrong type, a query that does not parse). A
//     start-up error, and what `credmesh credit source check` reports.
//
// Events must be safe for concurrent use. Health reports the state of
// the last calls for status and /metrics; Close releases the backend.
//
// Raw subject IDs: a backend that holds raw national IDs (pgsource)
// turns them into subject references inside the peer with the members'
// secret; the raw ID goes no further than the source, and appears in no
// error, log line or metric.
package creditsource
