package queryproto

import (
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/store"
)

// Institution types of ReporterConfig.InstitutionTypes.
const (
	InstitutionBank    = "bank"
	InstitutionNonBank = "non_bank"
)

// BorrowingWindowDays are the multiple-borrowing windows: 7 days and 1,
// 3, 6 and 12 months, a month counted as 30 days and a year as 365.
var BorrowingWindowDays = []int{7, 30, 90, 180, 365}

// BorrowingWindow counts the lending queries (loan and credit card
// applications) about the subject within Days before the report: the
// distinct institutions that made them and the queries, in all and by
// the querier's institution type. A querier whose genesis entry gives no
// type counts in the totals only.
type BorrowingWindow struct {
	Days                                int
	Institutions, Queries               int
	BankInstitutions, BankQueries       int
	NonBankInstitutions, NonBankQueries int
}

// borrowingWindows computes the windows from the lending receipts st
// holds about q's subject.
func borrowingWindows(st *store.Store, q *SignedQuery, now time.Time, types map[chain.IssuerID]string) ([]BorrowingWindow, error) {
	qs, err := lendingQueries(st, q, now)
	if err != nil {
		return nil, err
	}
	out := make([]BorrowingWindow, len(BorrowingWindowDays))
	for i, days := range BorrowingWindowDays {
		w := BorrowingWindow{Days: days}
		seen := make(map[chain.IssuerID]bool)
		for _, lq := range qs {
			if lq.age > time.Duration(days)*24*time.Hour {
				continue
			}
			first := !seen[lq.querier]
			seen[lq.querier] = true
			w.Queries++
			if first {
				w.Institutions++
			}
			switch types[lq.querier] {
			case InstitutionBank:
				w.BankQueries++
				if first {
					w.BankInstitutions++
				}
			case InstitutionNonBank:
				w.NonBankQueries++
				if first {
					w.NonBankInstitutions++
				}
			}
		}
		out[i] = w
	}
	return out, nil
}
