package node

import (
	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/queryproto"
)

// institutionTypes are the genesis members' institution types, for the
// reporter's multiple-borrowing windows.
func (n *Node) institutionTypes() map[chain.IssuerID]string {
	out := make(map[chain.IssuerID]string)
	for iss, t := range n.opts.Genesis.InstitutionTypes() {
		out[iss] = string(t)
	}
	return out
}

// reportHistory is a report's multiple-borrowing windows and accounts
// with their repayment strings.
func (n *Node) reportHistory(s queryproto.Summary) ([]api.BorrowingWindow, []api.ReportAccount) {
	windows := make([]api.BorrowingWindow, 0, len(s.Borrowing))
	for _, w := range s.Borrowing {
		windows = append(windows, api.BorrowingWindow{
			Days: w.Days, Institutions: w.Institutions, Queries: w.Queries,
			BankInstitutions: w.BankInstitutions, BankQueries: w.BankQueries,
			NonBankInstitutions: w.NonBankInstitutions, NonBankQueries: w.NonBankQueries,
		})
	}
	accounts := make([]api.ReportAccount, 0, len(s.Accounts))
	for _, a := range s.Accounts {
		accounts = append(accounts, api.ReportAccount{
			Member: peerString(a.Lender), Name: n.nameOf(a.Lender), AccountID: a.AccountID, Status: creditKindName(a.Kind),
			OutstandingMinor: a.Outstanding, Currency: a.Currency, Opened: a.Opened, Repayment24m: a.Repayment,
		})
	}
	return windows, accounts
}
