package main

import (
	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/records"
	"github.com/spf13/cobra"
)

func newCreditCmd() *cobra.Command {
	c := &cobra.Command{Use: "credit", Short: "Manage this institution's private credit data"}
	c.AddCommand(newCreditImportCmd())
	return c
}

func newCreditImportCmd() *cobra.Command {
	var (
		home    string
		publish bool
		asJSON  bool
	)
	c := &cobra.Command{
		Use:   "import --home DIR FILE",
		Short: "Import credit events into this peer's own store, never gossiped",
		Long: `Import credit events (CSV or JSON lines, type credit_event) into the running
peer's own store. They are never put in a block or sent to other peers; they
leave this peer only inside signed answers to credit queries, each of which is
recorded by a receipt on this institution's chain.

With --publish, the negative events (overdue, defaulted) are published on this
institution's chain instead, where every member holds them until they expire.
credmesh submit (POST /v1/records) treats credit events as --publish does.

An event ID names one event for ever: an event whose ID was accepted before,
kept private or published, is refused as a duplicate (the record kept is the
first), so importing a file twice changes nothing.`,
		Example: `  credmesh credit import --home ./bank-a loans.csv
  credmesh credit import --home ./bank-a arrears.jsonl --publish`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := homeClient(home)
			if err != nil {
				return err
			}
			results, err := sendFile(args[0], func(batch []records.Record) (*api.SubmitResponse, error) {
				return client.ImportCredit(cmd.Context(), batch, publish)
			})
			if err != nil {
				return err
			}
			return reportSubmit(cmd, args[0], results, asJSON, false)
		},
	}
	homeFlag(c, &home)
	c.Flags().BoolVar(&publish, "publish", false, "publish overdue and defaulted events on this institution's chain")
	c.Flags().BoolVar(&asJSON, "json", false, "print every line's result as JSON")
	return c
}
