package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/records"
	"github.com/spf13/cobra"
)

func newDisputeCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "dispute",
		Short: "Enter a subject's dispute of a record, answer one, list them",
		Long: `A person who finds a record about them wrong presents their ID at any member,
which enters their dispute, with their statement, on its own chain
('credmesh dispute file'). The record's issuer has the genesis'
dispute_response_days (default 20) from the dispute's block to answer it:
with a correction ('credmesh correct') or a confirmation that the record is
right ('credmesh dispute confirm'). Reports show every dispute of the subject
with its statement and state: open, overdue (unanswered past the deadline),
confirmed or corrected. See docs/PROTOCOL.md, "The subject's rights".`,
	}
	c.AddCommand(newDisputeFileCmd(), newDisputeConfirmCmd(), newDisputeListCmd())
	return c
}

func newDisputeFileCmd() *cobra.Command {
	var (
		home, kind, id, issuer, orderID, eventID, statement, disputeID string
		asJSON                                                         bool
	)
	c := &cobra.Command{
		Use:   "file --home DIR --id SUBJECT-ID --issuer PEER-ID (--order-id ID | --event-id ID) --statement TEXT",
		Short: "Enter the dispute of the person presenting their ID",
		Example: `  credmesh dispute file --home ./tax --id 110101199003074514 --issuer 12D3KooW... \
      --event-id bank-b-LN-000000-overdue --statement "I repaid this loan on time"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case id == "":
				return usageErr("--id is required: the ID the person presented")
			case issuer == "":
				return usageErr("--issuer is required: the peer ID of the member whose record is disputed")
			case (orderID == "") == (eventID == ""):
				return usageErr("name the record with exactly one of --order-id or --event-id")
			case statement == "":
				return usageErr("--statement is required: the person's own statement, shown in reports")
			}
			t := api.DisputeTarget{Issuer: issuer, Type: records.TypeCreditEvent, EventID: eventID}
			if orderID != "" {
				t = api.DisputeTarget{Issuer: issuer, Type: records.TypePayment, OrderID: orderID}
			}
			client, err := homeClient(home)
			if err != nil {
				return err
			}
			v, err := client.Dispute(cmd.Context(), api.DisputeRequest{DisputeID: disputeID, Subject: records.Subject{Kind: kind, ID: id}, Target: t, Statement: statement})
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), v)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "dispute %s entered on this institution's chain; %s must answer by %s\n", v.DisputeID, nameOr(v.IssuerName, v.Issuer), v.Deadline.Format("2006-01-02"))
			return nil
		},
	}
	homeFlag(c, &home)
	c.Flags().StringVar(&kind, "kind", "cn-rid", "the kind of the ID: cn-rid, cn-uscc, passport")
	c.Flags().StringVar(&id, "id", "", "the ID the person presented (never leaves this peer)")
	c.Flags().StringVar(&issuer, "issuer", "", "peer ID of the member whose record is disputed")
	c.Flags().StringVar(&orderID, "order-id", "", "the disputed payment, by its order ID")
	c.Flags().StringVar(&eventID, "event-id", "", "the disputed credit event, by its event ID")
	c.Flags().StringVar(&statement, "statement", "", "the person's statement (required, at most 1024 bytes, public to members)")
	c.Flags().StringVar(&disputeID, "dispute-id", "", "the dispute's ID (default: one is made)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the dispute as JSON")
	return c
}

func newDisputeConfirmCmd() *cobra.Command {
	var (
		home, disputer, id, reason string
		asJSON                     bool
	)
	c := &cobra.Command{
		Use:   "confirm --home DIR --disputer PEER-ID --dispute-id ID --reason TEXT",
		Short: "Answer a dispute of one of this institution's records: the record is right",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case disputer == "" || id == "":
				return usageErr("--disputer and --dispute-id name the dispute (credmesh dispute list shows them)")
			case reason == "":
				return usageErr("--reason is required: why the record stands")
			}
			client, err := homeClient(home)
			if err != nil {
				return err
			}
			v, err := client.Confirm(cmd.Context(), api.ConfirmRequest{Disputer: disputer, DisputeID: id, Reason: reason})
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), v)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "dispute %s confirmed on this institution's chain\n", v.DisputeID)
			return nil
		},
	}
	homeFlag(c, &home)
	c.Flags().StringVar(&disputer, "disputer", "", "peer ID of the member that entered the dispute")
	c.Flags().StringVar(&id, "dispute-id", "", "the dispute's ID")
	c.Flags().StringVar(&reason, "reason", "", "why the record stands (required, published)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the dispute as JSON")
	return c
}

func newDisputeListCmd() *cobra.Command {
	var (
		home, issuer string
		asJSON       bool
	)
	c := &cobra.Command{
		Use:   "list --home DIR [--issuer PEER-ID]",
		Short: "List the disputes of this institution's records (or another member's), with their states",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := homeClient(home)
			if err != nil {
				return err
			}
			l, err := client.Disputes(cmd.Context(), issuer)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), l)
			}
			printDisputes(cmd.OutOrStdout(), l.Disputes)
			return nil
		},
	}
	homeFlag(c, &home)
	c.Flags().StringVar(&issuer, "issuer", "", "the member's peer ID (default: this member)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return c
}

// printDisputes prints disputes as a table, overdue ones flagged.
func printDisputes(out io.Writer, ds []api.DisputeView) {
	if len(ds) == 0 {
		fmt.Fprintln(out, "no disputes")
		return
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tDISPUTE\tENTERED AT\tRECORD OF\tDEADLINE\tSTATEMENT\tANSWER\t")
	for _, d := range ds {
		state := d.State
		if state == api.DisputeOverdue {
			state = "OVERDUE"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", state, d.DisputeID, nameOr(d.DisputerName, d.Disputer), nameOr(d.IssuerName, d.Issuer),
			d.Deadline.Format("2006-01-02"), d.Statement, d.Answer)
	}
	tw.Flush()
}

func nameOr(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

// printReportDisputes prints a report's dispute annotations (异议标注)
// and the subject's statements (本人声明).
func printReportDisputes(out io.Writer, ds []api.DisputeView) {
	if len(ds) == 0 {
		return
	}
	fmt.Fprintf(out, "\nDISPUTES (%d)\n", len(ds))
	for _, d := range ds {
		flag := d.State
		if d.State == api.DisputeOverdue {
			flag = "OVERDUE: unanswered past its deadline"
		}
		fmt.Fprintf(out, "  %s of a record of %s, entered at %s on %s, answer due %s: %s\n", d.DisputeID, nameOr(d.IssuerName, d.Issuer),
			nameOr(d.DisputerName, d.Disputer), d.FiledAt.Format("2006-01-02"), d.Deadline.Format("2006-01-02"), flag)
		fmt.Fprintf(out, "    subject's statement: %s\n", d.Statement)
		if d.Answer != "" {
			fmt.Fprintf(out, "    answer: %s\n", d.Answer)
		}
	}
}
