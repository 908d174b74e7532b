package simnet

import (
	"time"

	"github.com/credmesh/credmesh/records"
)

// samplesEnd is after every date records.SamplePayment and
// records.SampleCreditEvents write (all in 2026).
const samplesEnd = 2027

// dateBefore moves the dates of sample records back by whole years so that
// they lie before now, the run's clock: a peer refuses a paid_at or
// occurred_at more than records.MaxAhead after its clock, and a run in
// virtual time starts in 2000. Moving every date of a record (and its
// period) by the same whole years keeps them valid together: an overdue
// event still expires five years after it occurred.
func dateBefore(recs []records.Record, now time.Time) {
	years := samplesEnd - now.Year()
	if years <= 0 {
		return
	}
	for i := range recs {
		r := &recs[i]
		r.PaidAt = yearsBack(r.PaidAt, years)
		r.OccurredAt = yearsBack(r.OccurredAt, years)
		r.ExpiresAt = yearsBack(r.ExpiresAt, years)
		if p, err := time.Parse("2006-01", r.Period); err == nil {
			r.Period = p.AddDate(-years, 0, 0).Format("2006-01")
		}
	}
}

// yearsBack moves an RFC 3339 time back by years; "" stays "".
func yearsBack(s string, years int) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.AddDate(-years, 0, 0).Format(time.RFC3339)
}
