// Package records is the input format of credmesh: the records an
// institution submits, as JSON objects (the HTTP API, JSON lines files) or
// CSV rows with the same field names, and their conversion into chain
// entries on the submitting peer.
//
// A record names its subject by the raw ID ({"kind": "cn-rid", "id": ...});
// Entry turns it into the subject reference with the members' shared secret
// and, for payments, seals the record under its order ID. The raw ID
// exists only in the submitted bytes and the Record value in memory: no
// entry, log line or error carries it.
//
// Field names, units and examples are in docs/OPERATIONS.md; the CSV header
// names the columns, in any order, each once, with subject_kind/subject_id
// (or payer_kind/payer_id) for the subject.
//
// Files are read by a Scanner, one record at a time, so a file of any
// size streams through a bounded buffer. Each fault is an error of its
// line (Line.Err) and the file goes on; only a wrong CSV header (an
// unknown, repeated or missing required column) fails the whole file,
// since every line would be misread:
//   - A line over MaxLineBytes is read to its end and dropped.
//   - A quoted CSV field may span lines (RFC 4180), but only within
//     MaxLineBytes: a quote left open refuses the line it opened on and the
//     lines after it are read again as records of their own, so one stray
//     quote cannot swallow the rest of the file.
//   - A JSON line holds one object: a second value, null or a missing
//     amount is refused. Amounts are never read as 0 from an empty cell,
//     a missing field or null (requiredNumbers).
//
// Entry checks every field in the user's words before the chain's own
// validation runs as the last guard: messages name the field, the value
// (never a subject's ID, nor an order ID, which is the capability that
// opens a payment) and the rule. Times more than MaxAhead after
// Context.Now are refused: a record is submitted after the fact. The peer
// applies it with its own clock, the CLI with the machine's (Check); a
// zero Now skips it, for a caller only re-deriving the entry of a record
// already judged.
package records
