package billing

import (
	"fmt"
	"slices"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/store"
)

// Line is one member's part of a statement. Amounts are in minor units,
// per currency.
type Line struct {
	Member        chain.IssuerID    `json:"-"`
	QueriesMade   int               `json:"queries_made"`
	QueriesServed int               `json:"queries_served"`
	Payable       map[string]uint64 `json:"payable"`
	Receivable    map[string]uint64 `json:"receivable"`
	Net           map[string]int64  `json:"net"`
}

// Statement is every member's line for one period.
type Statement struct {
	Period string  `json:"period"`
	Lines  []*Line `json:"lines"` // in the order of the members given
}

// ParsePeriod returns the UTC bounds [from, to) of a YYYY-MM period.
func ParsePeriod(period string) (from, to time.Time, err error) {
	from, err = time.Parse("2006-01", period)
	if err != nil || len(period) != 7 {
		return time.Time{}, time.Time{}, fmt.Errorf("billing: period %q is not YYYY-MM", period)
	}
	return from, from.AddDate(0, 1, 0), nil
}

// Compute builds the statement of period for members from the receipts in
// st. It trusts them as stored: the store holds only receipts that passed
// chain validation (the querier's signature, its query role, the genesis
// fee), so it does not verify them again. Receipts of a member's queries of
// itself are left out.
func Compute(st *store.Store, members []chain.IssuerID, period string) (*Statement, error) {
	from, to, err := ParsePeriod(period)
	if err != nil {
		return nil, err
	}
	lines := make(map[chain.IssuerID]*Line, len(members))
	s := &Statement{Period: period}
	for _, m := range members {
		l := &Line{Member: m, Payable: map[string]uint64{}, Receivable: map[string]uint64{}, Net: map[string]int64{}}
		lines[m] = l
		s.Lines = append(s.Lines, l)
	}
	for _, querier := range members {
		var locs []store.Location
		if err := st.ReceiptsByQuerier(querier, func(l store.Location) bool { locs = append(locs, l); return true }); err != nil {
			return nil, err
		}
		for _, loc := range locs {
			data, err := st.Entry(loc)
			if err != nil {
				return nil, fmt.Errorf("billing: receipt at %s/%d/%d: %w", loc.Issuer.Short(), loc.Height, loc.Index, err)
			}
			e, err := chain.DecodeEntry(data, len(data))
			if err != nil {
				return nil, err
			}
			r := e.GetQueryReceipt()
			if r == nil || loc.Issuer == querier {
				continue // a member's queries of itself are not billed
			}
			q, err := chain.ReceiptQuery(r)
			if err != nil {
				return nil, fmt.Errorf("billing: receipt at %s/%d/%d: %w", loc.Issuer.Short(), loc.Height, loc.Index, err)
			}
			at := time.UnixMilli(q.TimeMs)
			if at.Before(from) || !at.Before(to) {
				continue
			}
			if l := lines[querier]; l != nil {
				l.QueriesMade++
				l.Payable[r.FeeCurrency] += r.FeeMinor
				l.Net[r.FeeCurrency] -= int64(r.FeeMinor)
			}
			if l := lines[loc.Issuer]; l != nil {
				l.QueriesServed++
				l.Receivable[r.FeeCurrency] += r.FeeMinor
				l.Net[r.FeeCurrency] += int64(r.FeeMinor)
			}
		}
	}
	return s, nil
}

// Totals returns the sums of payable and receivable per currency; they are
// equal for a statement of all members.
func (s *Statement) Totals() (payable, receivable map[string]uint64) {
	payable, receivable = map[string]uint64{}, map[string]uint64{}
	for _, l := range s.Lines {
		for c, v := range l.Payable {
			payable[c] += v
		}
		for c, v := range l.Receivable {
			receivable[c] += v
		}
	}
	return payable, receivable
}

// Currencies returns every currency in the statement, sorted.
func (s *Statement) Currencies() []string {
	seen := map[string]bool{}
	for _, l := range s.Lines {
		for c := range l.Payable {
			seen[c] = true
		}
		for c := range l.Receivable {
			seen[c] = true
		}
	}
	var out []string
	for c := range seen {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}
