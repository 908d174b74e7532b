// Package pgsource answers credit queries straight from the institution's
// own PostgreSQL: a creditsource.Source that reads the lender's accounts
// at query time, so an answer is as fresh as its books.
//
// # Mapping
//
// The institution maps its data in one of two ways (config.toml,
// [credit_source]):
//
//  1. A view, by default named credmesh_accounts, with these columns (any
//     order; more are ignored):
//
//     subject_kind       text         cn-rid, cn-uscc or passport; NULL: cn-rid
//     subject_id         text         the raw ID, as the institution keeps it
//     account_id         text         the account, stable across its rows
//     status             text         opened, repaid, overdue, defaulted, closed
//     amount_minor       integer      credit line, amount repaid, overdue or defaulted
//     outstanding_minor  integer      balance at as_of
//     currency           text         ISO 4217
//     as_of              timestamptz  when the row's state began (or date)
//     days_overdue       integer      overdue and defaulted rows; else NULL or 0
//     event_id           text         NULL: account_id@as_of (UTC, milliseconds)
//     expires_at         timestamptz  negative rows; NULL: as_of + 5 years
//
//     One row per account gives its current state; one row per account
//     per change (or per month) gives the report its history, the 24-month
//     repayment string included. Integers may be smallint, integer, bigint
//     or integral numeric.
//
//  2. Two SQL queries returning those columns: Query, with the named
//     parameters @subject_kind and @subject_id (text), returns one
//     subject's rows; SubjectsQuery (no parameters) lists every
//     (subject_kind, subject_id) there is.
//
// Every row becomes one CreditEvent exactly as `credmesh credit import`
// would make it from the same values (records.Record.Entry), so a member
// answers the same from PostgreSQL as from imported data.
//
// # Subject references
//
// A query names its subject by reference only: an HMAC of the normalized
// ID under the members' secret, which cannot be turned back into an ID.
// So the source keeps an index, in the peer's memory, from reference to
// the raw IDs of the table: built at start from SubjectsQuery (or
// SELECT DISTINCT over the view) and rebuilt every IndexRefresh (default
// 1 min). A subject whose first row is younger than the last rebuild is
// not found until the next one. The raw ID goes from the index into the
// statement's parameter and nowhere else: no log line, error, metric or
// answer carries it; bad rows are named by position and account.
//
// # Failures
//
// Every query runs in a read-only transaction (and the sessions default
// to read-only) with statement_timeout set to what is left of the
// credit query's deadline, capped by QueryTimeout, on a pool of at most
// MaxConns connections. A database that is down, slow or whose mapping
// broke makes Events return creditsource.ErrUnavailable by the deadline;
// a row that does not make a valid event, creditsource.ErrBadRow naming
// it. Before the first index is built every query is unavailable, never
// "no accounts". New refuses a mapping that does not fit
// (creditsource.ErrMapping) when the database can be reached; one that
// cannot be reached at start is retried, and the peer starts meanwhile.
package pgsource
