package api

import "time"

// ReportAccount is one account of a credit report with its 24-month
// repayment string (PROTOCOL.md, Repayment strings).
type ReportAccount struct {
	Member           string    `json:"member"`
	Name             string    `json:"name"`
	AccountID        string    `json:"account_id"`
	Status           string    `json:"status"` // the latest event's kind
	OutstandingMinor uint64    `json:"outstanding_minor"`
	Currency         string    `json:"currency"`
	Opened           time.Time `json:"opened"` // its first event
	// Repayment24m has one code a month, the oldest first and the
	// report's month last: N normal, 1–7 per 30 days overdue, C closed,
	// G ended otherwise, D paid by a guarantor, Z repaid with assets,
	// B bad debt, # unknown, * nothing due, / not open.
	Repayment24m string `json:"repayment_24m"`
}

// BorrowingWindow counts the lending queries about the subject in the
// Days before the report: the institutions that made them and the
// queries, in all and by the querier's institution type (genesis
// institution_type; a querier without one counts in the totals only).
type BorrowingWindow struct {
	Days                int `json:"days"`
	Institutions        int `json:"institutions"`
	Queries             int `json:"queries"`
	BankInstitutions    int `json:"bank_institutions"`
	BankQueries         int `json:"bank_queries"`
	NonBankInstitutions int `json:"non_bank_institutions"`
	NonBankQueries      int `json:"non_bank_queries"`
}
