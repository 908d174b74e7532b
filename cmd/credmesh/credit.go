package main

import (
	"context"
	"encoding/json"

	"github.com/credmesh/credmesh/api"
	"github.com/spf13/cobra"
)

func newCreditCmd() *cobra.Command {
	c := &cobra.Command{Use: "credit", Short: "Manage this institution's private credit data"}
	c.AddCommand(newCreditImportCmd())
	c.AddCommand(newCreditSourceCmd())
	return c
}

func newCreditImportCmd() *cobra.Command {
	var (
		ff      fileFlags
		publish bool
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
first), so importing a file twice changes nothing: such lines are counted as
duplicates, not refused.
` + submitHelp,
		Example: `  credmesh credit import --home ./bank-a loans.csv
  credmesh credit import --home ./bank-a arrears.jsonl --publish`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ff.run(cmd, args[0], func(c *api.Client) batchSender {
				return func(ctx context.Context, recs []json.RawMessage) (*api.SubmitResponse, error) {
					return c.ImportCreditEncoded(ctx, recs, publish)
				}
			})
		},
	}
	ff.register(c)
	c.Flags().BoolVar(&publish, "publish", false, "publish overdue and defaulted events on this institution's chain")
	return c
}
