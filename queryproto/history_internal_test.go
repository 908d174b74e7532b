package queryproto

import (
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chainpb"
)

// The 24-month repayment string: not open before the first event, N while
// open, a digit per 30 days overdue (growing while nothing follows), C in
// the month it closes and / after, # before a first event that is not
// the opening, * with nothing due, G closed with a balance left.
func TestRepaymentString(t *testing.T) {
	now := time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)
	at := func(y int, m time.Month, d int) int64 { return time.Date(y, m, d, 10, 0, 0, 0, time.UTC).UnixMilli() }
	ev := func(kind chainpb.CreditEventKind, ms int64, outstanding uint64, days uint32) *chainpb.CreditEvent {
		return &chainpb.CreditEvent{Kind: kind, OccurredAtMs: ms, OutstandingMinor: outstanding, DaysOverdue: days}
	}
	const (
		opened  = chainpb.CreditEventKind_CREDIT_EVENT_KIND_OPENED
		overdue = chainpb.CreditEventKind_CREDIT_EVENT_KIND_OVERDUE
		repaid  = chainpb.CreditEventKind_CREDIT_EVENT_KIND_REPAID
		closed  = chainpb.CreditEventKind_CREDIT_EVENT_KIND_CLOSED
		dflt    = chainpb.CreditEventKind_CREDIT_EVENT_KIND_DEFAULTED
	)
	for _, tc := range []struct {
		name string
		evs  []*chainpb.CreditEvent
		want string
	}{
		{"repaid after an arrear", []*chainpb.CreditEvent{
			ev(opened, at(2025, 3, 10), 1000, 0), ev(overdue, at(2025, 6, 5), 1000, 45),
			ev(repaid, at(2025, 7, 20), 500, 0), ev(repaid, at(2026, 2, 10), 0, 0),
		}, "///NNN2NNNNNNNC/////////"},
		{"first known event overdue, still unpaid", []*chainpb.CreditEvent{ev(overdue, at(2026, 9, 3), 1000, 40)},
			"#####################244"},
		{"nothing due, then ended with a balance", []*chainpb.CreditEvent{ev(opened, at(2026, 10, 1), 0, 0), ev(closed, at(2026, 11, 2), 100, 0)},
			"//////////////////////*G"},
		{"defaulted outranks the month's repayment", []*chainpb.CreditEvent{
			ev(opened, at(2026, 8, 1), 1000, 0), ev(dflt, at(2026, 10, 2), 1000, 200), ev(repaid, at(2026, 10, 20), 800, 0),
		}, "////////////////////NNBN"},
		{"capped at 7", []*chainpb.CreditEvent{ev(opened, at(2025, 1, 1), 1000, 0), ev(overdue, at(2026, 11, 1), 1000, 400)},
			"/NNNNNNNNNNNNNNNNNNNNNN7"},
	} {
		if got := RepaymentString(tc.evs, now); got != tc.want || len(got) != HistoryMonths {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
