package simnet

import (
	"testing"
	"time"

	"github.com/credmesh/credmesh/records"
)

// The workload's records pass a peer's rule on future times at the start
// of a virtual run (2000) and on a wall clock alike, each still valid.
func TestDateBeforeKeepsSampleRecordsBeforeTheClock(t *testing.T) {
	for _, now := range []time.Time{
		time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC),
	} {
		var recs []records.Record
		for n := range 60 {
			recs = append(recs, records.SamplePayment("tax", n, 10))
			recs = append(recs, records.SampleCreditEvents("bank-a", n, 10)...)
		}
		dateBefore(recs, now)
		rc := records.Context{NetworkID: "dates", Secret: make([]byte, 32), Now: now}
		for _, r := range recs {
			if _, err := r.Entry(rc); err != nil {
				t.Fatalf("at %s: %v", now.Format("2006-01-02"), err)
			}
		}
	}
	if got := dateBefore1(records.SamplePayment("tax", 0, 10), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)); got != records.SamplePayment("tax", 0, 10).PaidAt {
		t.Errorf("a clock after the samples moved paid_at to %s", got)
	}
}

func dateBefore1(r records.Record, now time.Time) string {
	recs := []records.Record{r}
	dateBefore(recs, now)
	return recs[0].PaidAt
}
