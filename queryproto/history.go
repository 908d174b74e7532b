package queryproto

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
)

// HistoryMonths is the length of an account's repayment string.
const HistoryMonths = 24

// Repayment string codes, in the style of the PBoC credit report (one a
// month, the oldest first, the current month last). doc.go says how each
// is derived from credit events.
const (
	CodeNormal    = 'N' // open, nothing overdue
	CodeClosed    = 'C' // closed or repaid in full this month
	CodeEnded     = 'G' // ended otherwise: closed with a balance left
	CodeGuarantor = 'D' // paid by a guarantor (no credit event kind carries it yet)
	CodeAssets    = 'Z' // repaid with assets (no credit event kind carries it yet)
	CodeBadDebt   = 'B' // defaulted
	CodeUnknown   = '#' // open, but nothing is known of the month
	CodeNothing   = '*' // open with nothing due (no balance)
	CodeNotOpen   = '/' // not open (before it opened, or after it ended)
)

// AccountHistory is one account of a report.
type AccountHistory struct {
	Lender    chain.IssuerID
	AccountID string
	// Kind is the account's latest event; Outstanding and Currency its
	// balance then.
	Kind        chainpb.CreditEventKind
	Outstanding uint64
	Currency    string
	// Opened is the time of its first event.
	Opened time.Time
	// Repayment is its HistoryMonths-month repayment string.
	Repayment string
}

// accountHistories groups the answers' unexpired credit events by
// account (lender and account ID) and computes each account's repayment
// string as of now. Accounts come sorted by lender, then account ID.
func accountHistories(answers []*SignedAnswer, now time.Time) ([]AccountHistory, error) {
	byAccount := make(map[accountKey][]*chainpb.CreditEvent)
	for _, a := range answers {
		events, err := answerEvents(a)
		if err != nil {
			return nil, err
		}
		for _, ev := range events {
			if chain.IsNegative(ev.Kind) && ev.ExpiresAtMs <= now.UnixMilli() {
				continue // expired: no longer credit information
			}
			k := accountKey{a.Responder, ev.AccountId}
			byAccount[k] = append(byAccount[k], ev)
		}
	}
	out := make([]AccountHistory, 0, len(byAccount))
	for k, evs := range byAccount {
		slices.SortStableFunc(evs, func(a, b *chainpb.CreditEvent) int { return cmp.Compare(a.OccurredAtMs, b.OccurredAtMs) })
		last := evs[len(evs)-1]
		out = append(out, AccountHistory{
			Lender: k.lender, AccountID: k.id, Kind: last.Kind, Outstanding: last.OutstandingMinor, Currency: last.Currency,
			Opened: time.UnixMilli(evs[0].OccurredAtMs).UTC(), Repayment: RepaymentString(evs, now),
		})
	}
	slices.SortFunc(out, func(a, b AccountHistory) int {
		if c := bytes.Compare(a.Lender[:], b.Lender[:]); c != 0 {
			return c
		}
		return strings.Compare(a.AccountID, b.AccountID)
	})
	return out, nil
}

// RepaymentString is the HistoryMonths-month repayment string of one
// account's events (sorted by time), months in UTC, the last being now's.
func RepaymentString(evs []*chainpb.CreditEvent, now time.Time) string {
	now = now.UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1-HistoryMonths, 0)
	var b strings.Builder
	for m := range HistoryMonths {
		start := first.AddDate(0, m, 0)
		end := start.AddDate(0, 1, 0)
		b.WriteByte(monthCode(evs, start, end, now))
	}
	return b.String()
}

// monthCode is the code of the month [start, end).
func monthCode(evs []*chainpb.CreditEvent, start, end, now time.Time) byte {
	var prior *chainpb.CreditEvent
	var in []*chainpb.CreditEvent
	for _, ev := range evs {
		t := time.UnixMilli(ev.OccurredAtMs)
		switch {
		case t.Before(start):
			prior = ev
		case t.Before(end):
			in = append(in, ev)
		}
	}
	if len(in) == 0 {
		switch {
		case prior == nil && len(evs) > 0 && evs[0].Kind != chainpb.CreditEventKind_CREDIT_EVENT_KIND_OPENED && time.UnixMilli(evs[0].OccurredAtMs).After(start):
			return CodeUnknown // the first event we hold is not its opening: it was open, we know no more
		case prior == nil:
			return CodeNotOpen
		case ended(prior):
			return CodeNotOpen
		}
		// Nothing happened this month: the state carries on, an overdue
		// one growing by the days since its event.
		at := end
		if now.Before(at) {
			at = now
		}
		days := max(0, at.Sub(time.UnixMilli(prior.OccurredAtMs))) / (24 * time.Hour)
		return eventCode(prior, uint32(days))
	}
	// The worst of the month: a default, else the most overdue, else
	// where the month ended.
	code := eventCode(in[len(in)-1], 0)
	for _, ev := range in {
		c := eventCode(ev, 0)
		if c == CodeBadDebt {
			return c
		}
		if isDigit(c) && (!isDigit(code) || c > code) {
			code = c
		}
	}
	return code
}

// eventCode is the code of a month whose state is ev, extra days after
// it.
func eventCode(ev *chainpb.CreditEvent, extraDays uint32) byte {
	switch ev.Kind {
	case chainpb.CreditEventKind_CREDIT_EVENT_KIND_DEFAULTED:
		return CodeBadDebt
	case chainpb.CreditEventKind_CREDIT_EVENT_KIND_OVERDUE:
		d := uint64(ev.DaysOverdue) + uint64(extraDays)
		return byte('0' + min(7, max(1, (d+29)/30)))
	case chainpb.CreditEventKind_CREDIT_EVENT_KIND_CLOSED:
		if ev.OutstandingMinor > 0 {
			return CodeEnded
		}
		return CodeClosed
	case chainpb.CreditEventKind_CREDIT_EVENT_KIND_REPAID:
		if ev.OutstandingMinor == 0 {
			return CodeClosed
		}
	}
	if ev.OutstandingMinor == 0 {
		return CodeNothing
	}
	return CodeNormal
}

// ended reports whether an account whose latest event is ev is no longer
// open.
func ended(ev *chainpb.CreditEvent) bool { return !isActive(ev) }

func isDigit(c byte) bool { return c >= '1' && c <= '7' }
