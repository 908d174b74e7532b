package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newBillingCmd() *cobra.Command {
	var (
		home, period string
		asJSON       bool
	)
	c := &cobra.Command{
		Use:   "billing --home DIR --period YYYY-MM",
		Short: "Queries made and served by every member in a month, and what each owes and earns",
		Long: `Compute a month's statement from the query receipts on the replicated chains:
for each member, the credit queries it made (it pays the fee) and served (it
earns it), payable, receivable and net. Every receipt carries the querier's
signed query and the genesis fee, checked by every peer, so nobody is billed
for a query it did not make; a member's queries of itself are not billed.
Every peer holds the same chains, so every peer computes the same statement.
A query belongs to the month of its signed time, in UTC.`,
		Example: `  credmesh billing --home ./tax --period 2026-11
  credmesh billing --home ./tax --period 2026-11 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := homeClient(home)
			if err != nil {
				return err
			}
			b, err := client.Billing(cmd.Context(), period)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), b)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "billing statement for %s\n\n", b.Period)
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "MEMBER\tMADE\tSERVED\tPAYABLE\tRECEIVABLE\tNET\t")
			for _, l := range b.Lines {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t\n", l.Name, l.QueriesMade, l.QueriesServed,
					minor(l.Payable["CNY"]), minor(l.Receivable["CNY"]), signed(l.Net["CNY"]))
			}
			fmt.Fprintf(tw, "total\t\t\t%s\t%s\t\t\n", minor(b.TotalPayable["CNY"]), minor(b.TotalReceivable["CNY"]))
			tw.Flush()
			return nil
		},
	}
	homeFlag(c, &home)
	c.Flags().StringVar(&period, "period", time.Now().UTC().Format("2006-01"), "the month, YYYY-MM")
	c.Flags().BoolVar(&asJSON, "json", false, "print the statement as JSON")
	return c
}

func signed(v int64) string {
	if v < 0 {
		return "-" + minor(uint64(-v))
	}
	return minor(uint64(v))
}
