package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/credmesh/credmesh/api"
)

// printReportHistory prints a report's accounts with their 24-month
// repayment strings and its multiple-borrowing windows.
func printReportHistory(out io.Writer, r *api.ReportView) {
	if len(r.Accounts) > 0 {
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "\nLENDER\tACCOUNT\tSTATUS\tOUTSTANDING\tOPENED\tLAST 24 MONTHS (oldest first)\t")
		for _, a := range r.Accounts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%s\t%s\t\n", a.Name, a.AccountID, a.Status, minor(a.OutstandingMinor), a.Currency,
				a.Opened.Format("2006-01-02"), a.Repayment24m)
		}
		tw.Flush()
		fmt.Fprintln(out, "  (N normal, 1-7 per 30 days overdue, C closed, G ended otherwise, D paid by a guarantor, Z repaid with assets, B bad debt, # unknown, * nothing due, / not open)")
	}
	if len(r.Summary.BorrowingWindows) == 0 {
		return
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nLENDING QUERIES\tINSTITUTIONS\tQUERIES\tBANKS\tBANK QUERIES\tNON-BANKS\tNON-BANK QUERIES\t")
	for _, w := range r.Summary.BorrowingWindows {
		fmt.Fprintf(tw, "last %d days\t%d\t%d\t%d\t%d\t%d\t%d\t\n", w.Days, w.Institutions, w.Queries,
			w.BankInstitutions, w.BankQueries, w.NonBankInstitutions, w.NonBankQueries)
	}
	tw.Flush()
}
