package main

import (
	"fmt"
	"github.com/credmesh/credmesh/api"
	"os"

	"github.com/credmesh/credmesh/records"
	"github.com/spf13/cobra"
)

// submitBatch is how many records one API request carries.
const submitBatch = 5000

// lineResult is one input line's outcome.
type lineResult struct {
	Line   int    `json:"line"`
	Status string `json:"status"` // accepted or refused
	Error  string `json:"error,omitempty"`
}

func newSubmitCmd() *cobra.Command {
	var (
		home    string
		asJSON  bool
		verbose bool
	)
	c := &cobra.Command{
		Use:   "submit --home DIR FILE",
		Short: "Submit records from a CSV or JSON lines file to a running peer",
		Long: `Submit payment records or credit events to the running peer of a home, through
its HTTP API. FILE is CSV (ending in .csv, with a header row naming the columns)
or JSON lines (one record per line). Every line is reported accepted or refused
with the reason; a record reported accepted is on disk and is never lost.
Payments and negative credit events (overdue, defaulted) are published on this
institution's chain; every other credit event (opened, repaid, closed) is kept
private in this peer's store, as credit import --publish keeps it. A record
whose order ID or event ID was used before is refused as a duplicate, and one
outside this member's roles in the genesis is refused, as every other member
would reject it: payments need the payments role, credit events the credit
role. Field names and examples: docs/OPERATIONS.md.`,
		Example: `  credmesh submit --home ./tax payments.csv
  credmesh submit --home ./bank events.jsonl --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := homeClient(home)
			if err != nil {
				return err
			}
			results, err := sendFile(args[0], func(batch []records.Record) (*api.SubmitResponse, error) {
				return client.Submit(cmd.Context(), batch)
			})
			if err != nil {
				return err
			}
			return reportSubmit(cmd, args[0], results, asJSON, verbose)
		},
	}
	homeFlag(c, &home)
	c.Flags().BoolVar(&asJSON, "json", false, "print every line's result as JSON")
	c.Flags().BoolVarP(&verbose, "verbose", "v", false, "also list accepted lines")
	return c
}

// sendFile parses a CSV or JSON lines file and sends its good records in
// batches of submitBatch; every line gets its result, parse errors included.
func sendFile(path string, send func([]records.Record) (*api.SubmitResponse, error)) ([]lineResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	lines, err := records.ParseFile(path, f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	results := make([]lineResult, 0, len(lines))
	var batch []records.Record
	var nums []int
	for _, l := range lines {
		if l.Err != nil {
			results = append(results, lineResult{Line: l.Num, Status: "refused", Error: l.Err.Error()})
			continue
		}
		batch, nums = append(batch, l.Record), append(nums, l.Num)
	}
	for len(batch) > 0 {
		n := min(len(batch), submitBatch)
		resp, err := send(batch[:n])
		if err != nil {
			if accepted := countAccepted(results); accepted > 0 {
				// Say what is already in: those lines must not be sent again
				// as new records.
				return nil, fmt.Errorf("%s: %d records before line %d were accepted; line %d and after were not: %w", path, accepted, nums[0], nums[0], err)
			}
			return nil, err
		}
		for i, r := range resp.Results {
			results = append(results, lineResult{Line: nums[i], Status: r.Status, Error: r.Error})
		}
		batch, nums = batch[n:], nums[n:]
	}
	return results, nil
}

func countAccepted(results []lineResult) int {
	n := 0
	for _, r := range results {
		if r.Status == "accepted" {
			n++
		}
	}
	return n
}

func reportSubmit(cmd *cobra.Command, file string, results []lineResult, asJSON, verbose bool) error {
	accepted, refused := 0, 0
	for _, r := range results {
		if r.Status == "accepted" {
			accepted++
		} else {
			refused++
		}
	}
	out := cmd.OutOrStdout()
	if asJSON {
		if err := printJSON(out, map[string]any{"file": file, "accepted": accepted, "refused": refused, "lines": results}); err != nil {
			return err
		}
	} else {
		for _, r := range results {
			if r.Status != "accepted" {
				fmt.Fprintf(out, "%s:%d: refused: %s\n", file, r.Line, r.Error)
			} else if verbose {
				fmt.Fprintf(out, "%s:%d: accepted\n", file, r.Line)
			}
		}
		fmt.Fprintf(out, "%s: %d accepted, %d refused\n", file, accepted, refused)
	}
	if refused > 0 {
		return &exitError{code: 1}
	}
	return nil
}
