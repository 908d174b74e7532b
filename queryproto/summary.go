package queryproto

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/store"
)

// Summary condenses a report's verified answers and the query receipts in
// the local store. doc.go states exactly how each figure is computed.
type Summary struct {
	Asked, Answered int // members asked; members whose answer verified
	// Truncated says some answer left records out to fit its size cap.
	Truncated bool
	// ActiveAccounts counts accounts whose latest event leaves them open.
	ActiveAccounts int
	// Outstanding sums the active accounts' outstanding balances, per
	// ISO 4217 currency, in minor units.
	Outstanding map[string]uint64
	// WorstDaysOverdue is the most days overdue of any unexpired overdue
	// or defaulted event, of any account.
	WorstDaysOverdue uint32
	// ActiveLenders counts the members with at least one active account.
	ActiveLenders int
	// LendingQueriers30d and LendingQueriers90d count the distinct members
	// that queried the subject for a loan or credit card application in
	// the last 30 and 90 days.
	LendingQueriers30d, LendingQueriers90d int
	// Accounts are the accounts the answers hold, each with its 24-month
	// repayment string (history.go).
	Accounts []AccountHistory
	// Borrowing are the multiple-borrowing windows (borrowing.go).
	Borrowing []BorrowingWindow
}

// Windows of the summary's query counts.
const (
	recentWindow = 30 * 24 * time.Hour
	longWindow   = 90 * 24 * time.Hour
)

type accountKey struct {
	lender chain.IssuerID
	id     string
}

func (r *Reporter) summarize(q *SignedQuery, answers []*SignedAnswer, asked int, now time.Time) (Summary, error) {
	s, err := summarizeAnswers(answers, asked, now)
	if err != nil {
		return Summary{}, err
	}
	s.LendingQueriers30d, s.LendingQueriers90d, err = lendingQueriers(r.cfg.Store, q, now)
	if err != nil {
		return Summary{}, err
	}
	// history.go, borrowing.go
	if s.Accounts, err = accountHistories(answers, now); err != nil {
		return Summary{}, err
	}
	s.Borrowing, err = borrowingWindows(r.cfg.Store, q, now, r.cfg.InstitutionTypes)
	return s, err
}

// summarizeAnswers computes every figure but the query counts from
// verified answers.
func summarizeAnswers(answers []*SignedAnswer, asked int, now time.Time) (Summary, error) {
	s := Summary{Asked: asked, Answered: len(answers), Outstanding: make(map[string]uint64)}
	latest := make(map[accountKey]*chainpb.CreditEvent)
	for _, a := range answers {
		s.Truncated = s.Truncated || a.Truncated
		events, err := answerEvents(a)
		if err != nil {
			return Summary{}, err
		}
		for _, ev := range events {
			if chain.IsNegative(ev.Kind) && ev.ExpiresAtMs <= now.UnixMilli() {
				continue // expired: no longer credit information
			}
			s.WorstDaysOverdue = max(s.WorstDaysOverdue, ev.DaysOverdue)
			k := accountKey{a.Responder, ev.AccountId}
			if cur := latest[k]; cur == nil || ev.OccurredAtMs >= cur.OccurredAtMs {
				latest[k] = ev
			}
		}
	}
	lenders := make(map[chain.IssuerID]bool)
	for k, ev := range latest {
		if !isActive(ev) {
			continue
		}
		s.ActiveAccounts++
		s.Outstanding[ev.Currency] += ev.OutstandingMinor
		lenders[k.lender] = true
	}
	s.ActiveLenders = len(lenders)
	return s, nil
}

// isActive: an account is open unless its latest event closed it or repaid
// it to zero.
func isActive(ev *chainpb.CreditEvent) bool {
	switch {
	case ev.Kind == chainpb.CreditEventKind_CREDIT_EVENT_KIND_CLOSED:
		return false
	case ev.Kind == chainpb.CreditEventKind_CREDIT_EVENT_KIND_REPAID && ev.OutstandingMinor == 0:
		return false
	}
	return true
}

// answerEvents returns the credit events of a verified answer as they
// stand: its chain records in chain order with corrections applied (a
// replacement takes its target's place, a withdrawal removes it), then its
// private records.
func answerEvents(a *SignedAnswer) ([]*chainpb.CreditEvent, error) {
	recs := slices.Clone(a.Records)
	slices.SortFunc(recs, func(x, y *chain.Proof) int {
		if c := cmp.Compare(x.Header.Height, y.Header.Height); c != 0 {
			return c
		}
		return cmp.Compare(x.Index, y.Index)
	})
	state := make(map[string]*chainpb.CreditEvent)
	var order []string
	set := func(key []byte, ev *chainpb.CreditEvent) {
		if _, ok := state[string(key)]; !ok {
			order = append(order, string(key))
		}
		state[string(key)] = ev
	}
	for _, p := range recs {
		e, err := chain.DecodeEntry(p.Entry, maxEntryBytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrVerify, err) // Verify decoded it already
		}
		switch {
		case e.GetCreditEvent() != nil:
			set(chain.EntryKey(e), e.GetCreditEvent())
		case e.GetCorrection() != nil:
			c := e.GetCorrection()
			set(c.TargetKey, c.GetReplacement().GetCreditEvent()) // nil on a withdrawal
		}
	}
	var out []*chainpb.CreditEvent
	for _, k := range order {
		if ev := state[k]; ev != nil {
			out = append(out, ev)
		}
	}
	for _, data := range a.Private {
		e, err := chain.DecodeEntry(data, maxEntryBytes)
		if err != nil || e.GetCreditEvent() == nil {
			return nil, fmt.Errorf("%w: private record does not decode", ErrVerify)
		}
		out = append(out, e.GetCreditEvent())
	}
	return out, nil
}

// isLending reports whether a query purpose is an application for credit.
func isLending(p chainpb.QueryPurpose) bool {
	return p == chainpb.QueryPurpose_QUERY_PURPOSE_LOAN_APPLICATION ||
		p == chainpb.QueryPurpose_QUERY_PURPOSE_CREDIT_CARD_APPLICATION
}

// lendingQueriers counts the distinct queriers of lending receipts about
// q's subject within 30 and 90 days before now (lendingQueries).
func lendingQueriers(st *store.Store, q *SignedQuery, now time.Time) (recent, long int, err error) {
	qs, err := lendingQueries(st, q, now)
	if err != nil {
		return 0, 0, err
	}
	in30 := make(map[chain.IssuerID]bool)
	in90 := make(map[chain.IssuerID]bool)
	for _, lq := range qs {
		if lq.age <= longWindow {
			in90[lq.querier] = true
		}
		if lq.age <= recentWindow {
			in30[lq.querier] = true
		}
	}
	return len(in30), len(in90), nil
}

// lendingQuery is one lending query receipt about a subject.
type lendingQuery struct {
	querier chain.IssuerID
	age     time.Duration // before now; negative up to MaxQueryAge for clock skew
}

// lendingQueries lists the lending receipts about q's subject, on every
// chain in st (up to MaxQueryAge after now, for clock skew), leaving out
// q itself. Every receipt in the store passed chain validation: its
// querier signed it, so no member can add queriers that never asked.
func lendingQueries(st *store.Store, q *SignedQuery, now time.Time) ([]lendingQuery, error) {
	var locs []store.Location
	if err := st.BySubject(q.Subject[:], func(loc store.Location) bool {
		locs = append(locs, loc)
		return true
	}); err != nil {
		return nil, err
	}
	var out []lendingQuery
	for _, loc := range locs {
		data, err := st.Entry(loc)
		if errors.Is(err, store.ErrPruned) || errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("queryproto: reading receipts: %w", err)
		}
		e, err := chain.DecodeEntry(data, maxEntryBytes)
		if err != nil {
			return nil, fmt.Errorf("queryproto: reading receipts: %w: %w", store.ErrCorrupt, err)
		}
		rc := e.GetQueryReceipt()
		if rc == nil {
			continue
		}
		// The store holds only receipts that passed validation: each is
		// the querier's own signed query.
		rq, err := chain.ReceiptQuery(rc)
		if err != nil {
			return nil, fmt.Errorf("queryproto: reading receipts: %w: %w", store.ErrCorrupt, err)
		}
		if !isLending(rq.Purpose) {
			continue
		}
		querier := chain.IssuerID(rq.Querier)
		if querier == q.Querier && rq.QueryId == q.QueryID {
			continue
		}
		age := now.Sub(time.UnixMilli(rq.TimeMs))
		if age < -MaxQueryAge {
			continue
		}
		out = append(out, lendingQuery{querier: querier, age: age})
	}
	return out, nil
}
