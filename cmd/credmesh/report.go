package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/records"
	"github.com/spf13/cobra"
)

func newReportCmd() *cobra.Command {
	var (
		home, purpose, consent, kind string
		asJSON                       bool
	)
	c := &cobra.Command{
		Use:   "report SUBJECT_ID --home DIR --purpose P --consent REF",
		Short: "Credit report on a subject from every member's own data",
		Long: `Ask every member with the credit role, through this member's running peer,
what it holds on a subject, and combine the signed answers: active accounts,
outstanding balance, worst overdue, lenders with active accounts, how many
institutions queried this subject for lending in the last 30 and 90 days, each
account with its 24-month repayment string, and the lending queries of the last
7, 30, 90, 180 and 365 days by institutions and queries, banks and non-banks. The
subject's ID is turned into its reference on this peer; the raw ID never leaves
it. Only a member with the query role in the genesis may ask; any other is
refused before anyone is asked. Every answering member records a query receipt
on its chain, carrying this member's signed query, which is how queries are
billed and audited; this member's own answer is not billed.

Purposes: ` + strings.Join(node.PurposeNames(), ", "),
		Example: `  credmesh report 11010519491231002X --home ./bank-a --purpose loan_application --consent CONSENT-2026-0001
  credmesh report CHN:E12345678 --kind passport --home ./bank-a --purpose guarantee_review --consent C-9 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if purpose == "" || consent == "" {
				return usageErr("--purpose and --consent are required")
			}
			client, err := homeClient(home)
			if err != nil {
				return err
			}
			rep, err := client.Report(cmd.Context(), api.ReportRequest{
				Subject: records.Subject{Kind: kind, ID: args[0]}, Purpose: purpose, ConsentRef: consent,
			})
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			printReport(cmd, rep)
			return nil
		},
	}
	homeFlag(c, &home)
	c.Flags().StringVar(&purpose, "purpose", "", "why the subject is queried: "+strings.Join(node.PurposeNames(), ", "))
	c.Flags().StringVar(&consent, "consent", "", "reference of the subject's consent to this query")
	c.Flags().StringVar(&kind, "kind", "cn-rid", "ID kind: cn-rid, cn-uscc or passport")
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return c
}

func printReport(cmd *cobra.Command, r *api.ReportView) {
	out := cmd.OutOrStdout()
	s := r.Summary
	fmt.Fprintf(out, "credit report %s (subject %.16s…, %s) in %d ms\n", r.QueryID, r.SubjectRef, r.Purpose, r.ElapsedMS)
	fmt.Fprintf(out, "  members answered        %d of %d\n", s.Answered, s.Asked)
	fmt.Fprintf(out, "  active accounts         %d with %d lenders\n", s.ActiveAccounts, s.ActiveLenders)
	for cur, v := range s.Outstanding {
		fmt.Fprintf(out, "  outstanding             %s %s\n", minor(v), cur)
	}
	fmt.Fprintf(out, "  worst days overdue      %d\n", s.WorstDaysOverdue)
	fmt.Fprintf(out, "  lending queries by      %d institutions in 30 days, %d in 90 days\n", s.LendingQueriers30d, s.LendingQueriers90d)
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nMEMBER\tOUTCOME\tRECORDS\tPRIVATE\tLATENCY\t")
	for _, m := range r.Members {
		outcome := strings.ReplaceAll(m.Outcome, "_", " ")
		if m.Error != "" && m.Outcome != "answered" {
			outcome += ": " + m.Error
		}
		if m.Forked {
			outcome += " (FORKED: its chain records are not to be relied on)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d ms\t\n", m.Name, outcome, m.Records, m.PrivateRecords, m.LatencyMS)
	}
	tw.Flush()
	printReportHistory(out, r) // report_history.go
	printReportDisputes(out, r.Disputes)
}
