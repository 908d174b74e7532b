package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/config"
	"github.com/spf13/cobra"
)

func newPendingCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "pending",
		Short: "Repair the log of accepted records not yet sealed",
		Long: `The pending log (<home>/data/pending) holds the records this peer accepted and
has not yet sealed into a block. If it is damaged anywhere but in the torn tail a
crash leaves, the peer refuses to start rather than forget records it
acknowledged; 'credmesh pending set-aside' is the way on.`,
	}
	c.AddCommand(newPendingSetAsideCmd())
	return c
}

func newPendingSetAsideCmd() *cobra.Command {
	var home string
	c := &cobra.Command{
		Use:   "set-aside --home DIR",
		Short: "Move a damaged pending log aside, keeping every record still readable",
		Long: `Move the segments of a damaged pending log to <home>/data/pending.damaged-<time>/,
start a new log with every record that can still be read, and record how many
acknowledged records were lost. The peer then starts; it logs the lost count at
ERROR on every start, and status and /metrics (credmesh_pending_lost_records)
show it. The records lost were acknowledged to whoever submitted them and are in
no block: find them in your own systems (e.g. by order ID, from the time of the
crash) and submit them again. The damaged segments stay for inspection.

Run it only when 'credmesh run' refused to start because the pending log is
damaged; on a log that is not damaged it changes nothing. It refuses while a
peer runs on the home.`,
		Example: `  credmesh pending set-aside --home ./tax
  credmesh run --home ./tax`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, err := requireHome(home)
			if err != nil {
				return err
			}
			if _, err := os.Stat(h.DataDir()); err != nil {
				return fmt.Errorf("no store in %s: %w", h, err)
			}
			res, err := store.SetAsidePending(h.DataDir(), store.Options{}, time.Now())
			if errors.Is(err, store.ErrInUse) {
				return fmt.Errorf("a peer is running on %s: stop it first (%w)", h, err)
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if res.Damage == nil {
				fmt.Fprintf(out, "the pending log of %s is not damaged; nothing was changed\n", h)
				return nil
			}
			fmt.Fprintf(out, "the pending log was damaged: %s at offset %d, %d bytes unreadable\n",
				res.Damage.File, res.Damage.Offset, res.Damage.Unreadable)
			fmt.Fprintf(out, "moved its %d segments to %s\n", res.Segments, res.MovedTo)
			fmt.Fprintf(out, "kept %d readable records in a new log\n", res.Kept)
			fmt.Fprintf(out, "LOST %d acknowledged records; resubmit them from your own systems\n", res.Damage.Frames)
			return nil
		},
	}
	homeFlag(c, &home)
	return c
}

// pendingDamageHint adds to a damaged pending log's error the command that
// sets it aside.
func pendingDamageHint(err error, h config.Home) error {
	var de *store.PendingDamageError
	if !errors.As(err, &de) {
		return err
	}
	return fmt.Errorf("%w\nthe peer did not start, so as not to forget those records silently; see docs/OPERATIONS.md \"Pending log damage\".\n"+
		"to keep every readable record, set the damaged log aside and start without the others:\n  credmesh pending set-aside --home %s", err, h)
}
