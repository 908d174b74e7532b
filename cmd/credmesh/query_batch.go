package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/queryproto"
)

// maxBatchFile bounds the order IDs one --batch file may hold.
const maxBatchFile = 1_000_000

// readOrderIDs reads one order ID per line from path ("-": standard
// input); blank lines and lines starting with # are skipped.
func readOrderIDs(path string, stdin io.Reader) ([]string, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	var ids []string
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if len(s) > privacy.MaxOrderIDLen {
			return nil, fmt.Errorf("%s:%d: %d bytes is longer than any order ID (at most %d): is this a file of order IDs, one per line?", path, line, len(s), privacy.MaxOrderIDLen)
		}
		if len(ids) == maxBatchFile {
			return nil, fmt.Errorf("%s: more than %d order IDs; split the file", path, maxBatchFile)
		}
		ids = append(ids, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%s holds no order IDs (one per line)", path)
	}
	return ids, nil
}

// batchView is one order ID's line of query payment --batch --json.
type batchView struct {
	OrderID string `json:"order_id"`
	// Outcome is verified, not_found, check_failed, forked, conflict,
	// unwitnessed (fewer cosignatures than --witnesses wants) or error.
	Outcome string            `json:"outcome"`
	Records []api.PaymentView `json:"records,omitempty"`
	Forks   []api.ForkStatus  `json:"forks,omitempty"`
	Error   string            `json:"error,omitempty"`
}

// outcomeOf names a lookup's outcome and its exit code.
func outcomeOf(err error) (string, int) {
	var forked *queryproto.ForkError
	var conflict *queryproto.ConflictError
	switch {
	case err == nil:
		return "verified", 0
	case errors.Is(err, queryproto.ErrVerify):
		return "check_failed", exitVerify
	case errors.As(err, &forked):
		return "forked", exitForked
	case errors.As(err, &conflict):
		return "conflict", exitConflict
	case errors.Is(err, queryproto.ErrUnwitnessed):
		return "unwitnessed", exitUnwitnessed
	case errors.Is(err, queryproto.ErrNotFound):
		return "not_found", exitNotFound
	}
	return "error", 1
}

// exitRank orders exit codes as a single lookup's outcomes are ordered: a
// failed check before a fork, a fork before a conflict, a conflict before
// too few witnesses, too few witnesses before not found, not found before
// other errors.
var exitRank = map[int]int{exitVerify: 6, exitForked: 5, exitConflict: 4, exitUnwitnessed: 3, exitNotFound: 2, 1: 1, 0: 0}

// showBatch prints one line per order ID (or a JSON array) and returns
// the exit status of the worst outcome.
func showBatch(out io.Writer, g *config.Genesis, results []queryproto.BatchLookup, asJSON bool) error {
	views := make([]batchView, len(results))
	code, counts := 0, map[string]int{}
	for i, r := range results {
		outcome, c := outcomeOf(r.Err)
		counts[outcome]++
		if exitRank[c] > exitRank[code] {
			code = c
		}
		v := batchView{OrderID: r.OrderID, Outcome: outcome}
		if r.Err != nil {
			v.Error = strings.ReplaceAll(r.Err.Error(), "\n", "; ")
		}
		if r.Result != nil && outcome != "check_failed" && outcome != "unwitnessed" {
			lv := lookupView(g, r.Result)
			v.Records, v.Forks = lv.Records, lv.Forks
		}
		views[i] = v
	}
	if asJSON {
		if err := printJSON(out, views); err != nil {
			return err
		}
	} else {
		for _, v := range views {
			fmt.Fprintln(out, batchLine(&v))
		}
		fmt.Fprintf(out, "%d order IDs: %d verified, %d not found, %d failed a check, %d forked, %d conflicts, %d too few witnesses, %d errors\n",
			len(views), counts["verified"], counts["not_found"], counts["check_failed"], counts["forked"], counts["conflict"], counts["unwitnessed"], counts["error"])
	}
	if code == 0 {
		return nil
	}
	return &exitError{code: code, msg: fmt.Sprintf("not every order ID verified (%d of %d did)", counts["verified"], len(views))}
}

// batchLine is an order ID's line of the text output.
func batchLine(v *batchView) string {
	switch v.Outcome {
	case "verified":
		r := v.Records[0]
		return fmt.Sprintf("%s\tverified\t%s %s, %s, period %s, issuer %s, block %d", v.OrderID, minor(r.AmountMinor), r.Currency, r.Category, r.Period, r.IssuerName, r.Height)
	case "not_found":
		return fmt.Sprintf("%s\tnot found\t%s", v.OrderID, v.Error)
	case "check_failed":
		return fmt.Sprintf("%s\tCHECK FAILED\t%s", v.OrderID, v.Error)
	case "forked":
		return fmt.Sprintf("%s\tFORKED\t%d record(s); %s", v.OrderID, len(v.Records), v.Error)
	case "unwitnessed":
		return fmt.Sprintf("%s\tTOO FEW WITNESSES\t%s", v.OrderID, v.Error)
	case "conflict":
		return fmt.Sprintf("%s\tCONFLICT\t%d records of different issuers; none is to be preferred", v.OrderID, len(v.Records))
	}
	return fmt.Sprintf("%s\terror\t%s", v.OrderID, v.Error)
}

// lookupBatch runs a light client for a batch lookup, as lookupPayment
// does for one.
func lookupBatch(ctx context.Context, g *config.Genesis, ids []string, lf lookupFlags) ([]queryproto.BatchLookup, error) {
	lc, from, closeFn, err := newLight(g, lf)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	return lc.LookupBatch(ctx, ids, from...)
}
