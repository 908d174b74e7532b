package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/records"
	"github.com/spf13/cobra"
)

// submitBatch is how many records one API request carries by default.
const submitBatch = 5000

// fileFlags are the flags submit and credit import share.
type fileFlags struct {
	home            string
	asJSON          bool
	verbose         bool
	dryRun          bool
	failOnDuplicate bool
	batch           int
	progress        string
	progressEvery   time.Duration
}

func (ff *fileFlags) register(c *cobra.Command) {
	homeFlag(c, &ff.home)
	c.Flags().BoolVar(&ff.asJSON, "json", false, "print every line's result as a JSON line, then a summary line")
	c.Flags().BoolVarP(&ff.verbose, "verbose", "v", false, "also list accepted, duplicate and not-sent lines")
	c.Flags().BoolVar(&ff.dryRun, "dry-run", false, "read and check every line, send nothing (no peer needed)")
	c.Flags().BoolVar(&ff.failOnDuplicate, "fail-on-duplicate", false, "report a record accepted before as refused (exit 3), not as a duplicate")
	c.Flags().IntVar(&ff.batch, "batch", submitBatch, fmt.Sprintf("records per request, 1 to %d", api.MaxSubmitRecords))
	c.Flags().StringVar(&ff.progress, "progress", "auto", "progress on stderr: auto (a bar on a terminal, else lines), bar, lines or none")
	c.Flags().DurationVar(&ff.progressEvery, "progress-every", 5*time.Second, "with lines: at most one progress line per this interval (0: after every batch)")
}

// submitHelp is the help text on files, shared by submit and credit import.
const submitHelp = `
FILE is CSV (a name ending in .csv) or JSON lines (one object per line;
blank lines and lines starting with # are skipped). A CSV file starts with a
header naming its columns, in any order; each column once:

  ` + records.HeaderExample + `
  payment,SI3f9a0c5e7d21b4a86f0c,cn-rid,11010519491231002X,pension,123456,CNY,2026-10,2026-10-15T09:30:00+08:00,bank,440305

Payment columns: type (payment), order_id, payer_kind (cn-rid, cn-uscc,
passport), payer_id, category (pension, medical, unemployment, work_injury,
maternity, tax, housing_fund), amount_minor (whole minor units: fen),
currency (ISO 4217), period (YYYY-MM), paid_at (RFC 3339); optional:
channel, region, item, receipt_no.
Credit event columns: type (credit_event), event_id, subject_kind,
subject_id, account_id, kind (opened, repaid, overdue, defaulted, closed),
amount_minor, outstanding_minor, currency, occurred_at; overdue and
defaulted events also days_overdue and expires_at.
A JSON line uses the same names, with "payer" and "subject" as objects
{"kind": "cn-rid", "id": "..."}.

type, amount_minor and currency are required columns; an empty amount or a
JSON null is refused, never read as 0. A line that cannot be read (an
unbalanced quote, a line over 64 KiB, two JSON objects on one line) is
refused on its own and the file goes on. paid_at and occurred_at may lie at
most a day after the clock.

The file is sent in batches (--batch records). Results are printed in line
order as each batch is answered: refused lines with their reason (-v: every
line), or with --json one JSON object per line ({"line", "status", "error"};
status accepted, duplicate, refused, not_sent or valid) and a last
{"summary": {...}}. A record accepted before (its order ID or event ID
was used) counts as a duplicate, not an error, so a file can be submitted
again after a failure; --fail-on-duplicate refuses it instead. If the peer
fails mid-file, what it accepted before stays accepted, and the lines not
sent are named. --dry-run reads and checks every line without a peer.

Exit codes:
  0  every line accepted (or a duplicate of a record accepted before);
     with --dry-run: every line valid
  1  the file could not be read, its CSV header is wrong, or the home is
     not usable; nothing was sent
  2  wrong usage
  3  some lines refused; every other line accepted
  4  the peer failed mid-file: some lines were not sent (submit again)`

func newSubmitCmd() *cobra.Command {
	var ff fileFlags
	c := &cobra.Command{
		Use:   "submit --home DIR FILE",
		Short: "Submit records from a CSV or JSON lines file to a running peer",
		Long: `Submit payment records or credit events to the running peer of a home, through
its HTTP API. Every line is reported accepted or refused with the reason; a
record reported accepted is on disk and is never lost. Payments and negative
credit events (overdue, defaulted) are published on this institution's chain;
every other credit event (opened, repaid, closed) is kept private in this
peer's store, as credit import --publish keeps it. A record outside this
member's roles in the genesis is refused, as every other member would reject
it: payments need the payments role, credit events the credit role. Field
rules and examples: docs/OPERATIONS.md.
` + submitHelp,
		Example: `  credmesh submit --home ./tax payments.csv
  credmesh submit --dry-run payments.csv
  credmesh submit --home ./bank events.jsonl --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ff.run(cmd, args[0], func(c *api.Client) batchSender {
				return c.SubmitEncoded
			})
		},
	}
	ff.register(c)
	return c
}

// run submits a file with the sender that newSender makes of the home's
// client.
func (ff *fileFlags) run(cmd *cobra.Command, path string, newSender func(*api.Client) batchSender) error {
	if ff.batch < 1 || ff.batch > api.MaxSubmitRecords {
		return usageErr(fmt.Sprintf("--batch %d: want 1 to %d", ff.batch, api.MaxSubmitRecords))
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	prog, err := newProgress(ff.progress, ff.progressEvery, cmd.ErrOrStderr(), path, st.Size())
	if err != nil {
		return err
	}
	f := &fileRun{path: path, batch: ff.batch, failOnDuplicate: ff.failOnDuplicate, progress: prog.update}
	if ff.dryRun {
		f.check = dryRunCheck()
	} else {
		client, err := homeClient(ff.home)
		if err != nil {
			return err
		}
		f.send = newSender(client)
		// The peer checks every record again; this gives the rules its
		// own clock cannot (paid_at in the future) and saves sending what
		// it would refuse.
		f.check = func(r *records.Record) error { return r.Check(time.Now()) }
	}
	out := newResultPrinter(cmd.OutOrStdout(), path, ff.asJSON, ff.verbose, prog)
	f.emit = out.line
	t, err := f.run(cmd.Context())
	prog.done()
	if err != nil {
		return err
	}
	if err := out.summary(t); err != nil {
		return err
	}
	if t.ExitCode == 0 {
		return nil
	}
	e := &exitError{code: t.ExitCode}
	if t.sendErr != nil {
		e.msg = notSentMessage(t)
	}
	return e
}

// notSentMessage says what a failed or interrupted file left behind.
func notSentMessage(t *tally) string {
	if t.NotSent == 0 && t.UnreadAfter > 0 {
		if t.DryRun {
			return fmt.Sprintf("%s: interrupted: lines 1 to %d were checked, the rest of the file was not read", t.File, t.UnreadAfter)
		}
		return fmt.Sprintf("%s: interrupted after line %d: %d records up to it were accepted and are stored (%d were duplicates); the rest of the file was not read or sent.\n"+
			"  Submit the file again to send the rest: what was accepted is counted as duplicates, not stored twice.",
			t.File, t.UnreadAfter, t.Accepted, t.Duplicates)
	}
	if t.UnreadAfter > 0 {
		return fmt.Sprintf("%s: sending stopped at line %d: %v\n"+
			"  %d records before it were accepted and are stored (%d were duplicates); lines %d to %d (%d records) were not sent, and the lines after line %d were not read.\n"+
			"  Submit the file again once the peer answers: what was accepted is counted as duplicates, not stored twice.",
			t.File, t.NotSentFrom, t.sendErr, t.Accepted, t.Duplicates, t.NotSentFrom, t.NotSentTo, t.NotSent, t.UnreadAfter)
	}
	return fmt.Sprintf("%s: sending stopped at line %d: %v\n"+
		"  %d records before it were accepted and are stored (%d were duplicates); lines %d to %d (%d records) were not sent.\n"+
		"  Submit the file again once the peer answers: what was accepted is counted as duplicates, not stored twice.",
		t.File, t.NotSentFrom, t.sendErr, t.Accepted, t.Duplicates, t.NotSentFrom, t.NotSentTo, t.NotSent)
}

// dryRunCheck converts every record as the peer would, under a throwaway
// network and subject secret: every rule of the fields is checked; what
// only the peer knows (its roles, which keys it holds) is not.
func dryRunCheck() func(*records.Record) error {
	secret := make([]byte, 32)
	rand.Read(secret)
	c := records.Context{NetworkID: "dry-run", Secret: secret, Now: time.Now()}
	return func(r *records.Record) error {
		_, err := r.Entry(c)
		return err
	}
}

// jsonLine prints v as one line of JSON.
func jsonLine(w interface{ Write([]byte) (int, error) }, v any) error {
	return json.NewEncoder(w).Encode(v)
}
