// Package subjectfilter is the Bloom filter a credit member publishes of
// the subject references it holds accounts for, so that a credit report
// can ask only the members whose filter matches (a routed report,
// docs/SCALE.md section 5) instead of every member: at 1,000 members,
// asking everyone makes 1,000 query receipts per report.
//
// A filter has no false negatives: a member whose filter does not match a
// subject holds no account of it (if the filter is honest and fresh: a
// member that leaves a subject out only hides its own accounts, which it
// could do anyway by answering with nothing). False positives cost one
// needless query each. Its size is about 9.6 bits per subject at a 1 %
// false-positive rate (New).
//
// Privacy. Subject references are keyed by the members' shared subject
// secret, so any member can compute the reference of any person and test
// a filter: a published filter tells every member, without a query, a
// consent or a receipt, whether an institution probably has that person
// as a customer. That is why routed reports are a prototype and off by
// default; the choices (a high false-positive rate for deniability,
// filters per region, or index holders that log a receipt per lookup)
// are discussed in docs/SCALE.md.
//
// Bit positions: SHA-256("credmesh/subjectfilter/1\x00" ‖ ref) gives two
// 64-bit numbers h1, h2; position i is (h1 + i·h2) mod m (double
// hashing). The encoding is one byte k, then the bits (m = 8 × their
// length), least significant bit first.
package subjectfilter
