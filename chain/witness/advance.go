package witness

import (
	"time"

	"github.com/credmesh/credmesh/chain"
)

// DefaultPeriod is the witness period of a genesis that sets none.
const DefaultPeriod = chain.DefaultWitnessPeriod

// Lag is how long before a period's tick a block must have been sealed to
// be cosigned at that tick: a fifth of the period. Every honest member
// that holds the block by then cosigns the same head, so one head of a
// chain gathers the cosignatures of a period instead of its newest block
// being split across witnesses that have and have not received it.
func Lag(period time.Duration) time.Duration { return period / 5 }

// Tick returns the start of the period now falls in.
func Tick(now time.Time, period time.Duration) time.Time { return now.Truncate(period) }

// Refusal is a chain a witness did not advance: its candidate head does
// not extend the head last cosigned, which stays.
type Refusal struct {
	Last, Candidate Head
}

// Advance returns the heads to cosign from the heads last cosigned and the
// candidates (both sorted by issuer), following the never-regress rule:
// a chain's head never goes below the last cosigned one, a candidate above
// it is taken only if extends says it extends it, and a chain that had a
// cosigned head keeps it. It also reports whether anything changed, and
// every candidate refused.
func Advance(last, cand []Head, extends func(last, cand Head) bool) (next []Head, changed bool, refused []Refusal) {
	byIssuer := make(map[chain.IssuerID]Head, len(last))
	for _, h := range last {
		byIssuer[h.Issuer] = h
	}
	seen := make(map[chain.IssuerID]bool, len(cand))
	for _, c := range cand {
		seen[c.Issuer] = true
		l, had := byIssuer[c.Issuer]
		switch {
		case !had:
			next, changed = append(next, c), true
		case c.Height < l.Height, c == l:
			next = append(next, l)
		case c.Height == l.Height || !extends(l, c):
			next = append(next, l)
			refused = append(refused, Refusal{Last: l, Candidate: c})
		default:
			next, changed = append(next, c), true
		}
	}
	for _, l := range last {
		if !seen[l.Issuer] {
			next = append(next, l)
		}
	}
	SortHeads(next)
	return next, changed, refused
}
