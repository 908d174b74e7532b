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
// names the columns, in any order, with subject_kind/subject_id (or
// payer_kind/payer_id) for the subject.
package records
