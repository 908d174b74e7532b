package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/records"
	"github.com/spf13/cobra"
)

func newCorrectCmd() *cobra.Command {
	var (
		home, orderID, eventID, replace, reason, id string
		withdraw, asJSON                            bool
	)
	c := &cobra.Command{
		Use:   "correct --home DIR (--order-id ID | --event-id ID) (--replace FILE | --withdraw) --reason TEXT",
		Short: "Replace or withdraw one of this institution's own published records",
		Long: `Publish a correction on this institution's chain: the record named by its
order ID (a payment) or event ID (a credit event) is replaced by the record in
FILE (one JSON object in the format of 'credmesh submit', with the same order or
event ID) or withdrawn. The reason is required and public.

The original stays on the chain, with its proof: lookups and reports show the
record as it stands now and the history of its corrections, each verified.
Only the member that published a record can correct it. See docs/PROTOCOL.md,
"The subject's rights".`,
		Example: `  credmesh correct --home ./bank-a --event-id EV-7 --withdraw --reason "posted to the wrong subject"
  credmesh correct --home ./tax --order-id PAY-2026-000000001 --replace fixed.json --reason "amount mistyped"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := api.CorrectionRequest{CorrectionID: id, Reason: reason}
			switch {
			case (orderID == "") == (eventID == ""):
				return usageErr("name the record with exactly one of --order-id or --event-id")
			case withdraw == (replace != ""):
				return usageErr("give exactly one of --replace FILE or --withdraw")
			case reason == "":
				return usageErr("--reason is required: it is published with the correction")
			}
			req.Target = api.CorrectionTarget{Type: records.TypeCreditEvent, EventID: eventID}
			if orderID != "" {
				req.Target = api.CorrectionTarget{Type: records.TypePayment, OrderID: orderID}
			}
			req.Action = api.ActionWithdraw
			if replace != "" {
				rec, err := readRecord(replace)
				if err != nil {
					return err
				}
				req.Action, req.Replacement = api.ActionReplace, rec
			}
			client, err := homeClient(home)
			if err != nil {
				return err
			}
			res, err := client.Correct(cmd.Context(), req)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "correction %s (%s) accepted: published on this institution's chain\n", res.CorrectionID, res.Action)
			return nil
		},
	}
	homeFlag(c, &home)
	c.Flags().StringVar(&orderID, "order-id", "", "the payment to correct, by its order ID")
	c.Flags().StringVar(&eventID, "event-id", "", "the credit event to correct, by its event ID")
	c.Flags().StringVar(&replace, "replace", "", "a file holding the corrected record (one JSON object)")
	c.Flags().BoolVar(&withdraw, "withdraw", false, "withdraw the record")
	c.Flags().StringVar(&reason, "reason", "", "why (required, published, at most 512 bytes)")
	c.Flags().StringVar(&id, "id", "", "the correction's ID (default: one is made)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}

// readRecord reads one record, a JSON object, refusing unknown fields.
func readRecord(path string) (*records.Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r records.Record
	if err := dec.Decode(&r); err != nil {
		return nil, usageErr(fmt.Sprintf("%s: not one record as a JSON object: %v", path, err))
	}
	return &r, nil
}
