package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/creditsource"
	"github.com/credmesh/credmesh/creditsource/pgsource"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/records"
	"github.com/spf13/cobra"
)

func newCreditSourceCmd() *cobra.Command {
	c := &cobra.Command{Use: "source", Short: "The credit source credit queries are answered from ([credit_source])"}
	c.AddCommand(newCreditSourceCheckCmd())
	return c
}

// sourceCheckView is what `credit source check --json` prints.
type sourceCheckView struct {
	Kind string `json:"kind"`
	DSN  string `json:"dsn"`
	*pgsource.CheckResult
	SubjectRef string        `json:"subject_ref,omitempty"`
	Events     []sourceEvent `json:"events,omitempty"`
	OK         bool          `json:"ok"`
}

// sourceEvent is one credit event of the answer for --id.
type sourceEvent struct {
	EventID          string    `json:"event_id"`
	AccountID        string    `json:"account_id"`
	Kind             string    `json:"kind"`
	AmountMinor      uint64    `json:"amount_minor"`
	OutstandingMinor uint64    `json:"outstanding_minor"`
	Currency         string    `json:"currency"`
	OccurredAt       time.Time `json:"occurred_at"`
	DaysOverdue      uint32    `json:"days_overdue"`
}

func newCreditSourceCheckCmd() *cobra.Command {
	var (
		home, id, kind string
		asJSON         bool
		timeout        time.Duration
	)
	c := &cobra.Command{
		Use:   "check --home DIR [--id SUBJECT_ID]",
		Short: "Validate the PostgreSQL mapping against the database and show one subject's answer",
		Long: `Connect to the database config.toml's [credit_source] names, with the password
from password_file or password_env (never printed), check the view's or the
query's columns and their types, list the subjects, read every row and name
each one that makes no valid credit event (by position and account, never by
subject), and with --id show the answer a credit query on that subject would
get. The peer may be running; check uses one read-only connection of its own
and writes nothing.

Exit status: 0 if the mapping fits and every row is valid, 1 otherwise (the
problems are printed). Setting a peer up on its database: docs/OPERATIONS.md,
"Credit data in PostgreSQL".`,
		Example: `  credmesh credit source check --home ./bank-a
  credmesh credit source check --home ./bank-a --id 11010519491231002X --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, err := requireHome(home)
			if err != nil {
				return err
			}
			o, err := node.LoadOptions(h)
			if err != nil {
				return err
			}
			cs := o.Config.CreditSource
			if err := o.Config.Validate(); err != nil {
				return err
			}
			if cs.Kind != "postgres" {
				return &exitError{code: 1, msg: fmt.Sprintf("%s: [credit_source] kind is %q: credit queries are answered from the peer's own store (credit import); nothing to check (docs/OPERATIONS.md, \"Credit data in PostgreSQL\")", h.ConfigPath(), cs.Kind)}
			}
			self := chain.IssuerOf(o.Key.Public().(ed25519.PublicKey))
			cfg, err := node.PostgresConfig(h, cs, o.Genesis.NetworkID(), self, o.Secret, nil, slog.New(slog.DiscardHandler))
			if err != nil {
				return &exitError{code: 1, msg: err.Error()}
			}
			var opts pgsource.CheckOptions
			if id != "" {
				ref, err := records.SubjectRef(records.Subject{Kind: kind, ID: id}, o.Secret)
				if err != nil {
					return usageErr("--id: " + err.Error())
				}
				r := privacy.Ref(ref)
				opts.Subject = &r
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			res, err := pgsource.Check(ctx, cfg, opts)
			if err != nil {
				return &exitError{code: 1, msg: checkErrorHint(err, cs.DSN)}
			}
			v := sourceCheckView{Kind: "postgres", DSN: cs.DSN, CheckResult: res, OK: res.OK()}
			if res.Subject != nil {
				v.SubjectRef = hex.EncodeToString(res.Subject.Ref[:])
				if v.Events, err = decodeSourceEvents(res.Subject.Events); err != nil {
					return err
				}
			}
			if asJSON {
				err = printJSON(cmd.OutOrStdout(), v)
			} else {
				printSourceCheck(cmd.OutOrStdout(), v)
			}
			if err != nil {
				return err
			}
			if !v.OK {
				return &exitError{code: 1, msg: fmt.Sprintf("the credit source has %d bad rows: credit queries on their subjects are answered unavailable until they are fixed", max(res.BadRowCount, 1))}
			}
			return nil
		},
	}
	homeFlag(c, &home)
	c.Flags().StringVar(&id, "id", "", "a subject's ID: show the answer a credit query on it would get")
	c.Flags().StringVar(&kind, "kind", "cn-rid", "ID kind of --id: cn-rid, cn-uscc or passport")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	c.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this long (reading every row of a large table takes a while)")
	return c
}

// checkErrorHint says what to look at for each kind of failure.
func checkErrorHint(err error, dsn string) string {
	switch {
	case errors.Is(err, creditsource.ErrMapping):
		return fmt.Sprintf("the mapping does not fit the database: %v", err)
	case errors.Is(err, creditsource.ErrUnavailable):
		return fmt.Sprintf("%v\n(check [credit_source] dsn %q, that the server runs and accepts this user, and the password in password_file or password_env)", err, dsn)
	}
	return err.Error()
}

func decodeSourceEvents(entries [][]byte) ([]sourceEvent, error) {
	out := make([]sourceEvent, 0, len(entries))
	for _, data := range entries {
		e, err := chain.DecodeEntry(data, len(data))
		if err != nil || e.GetCreditEvent() == nil {
			return nil, fmt.Errorf("the source made an entry that is not a credit event: %v", err)
		}
		c := e.GetCreditEvent()
		out = append(out, sourceEvent{
			EventID: c.EventId, AccountID: c.AccountId, Kind: strings.ToLower(strings.TrimPrefix(c.Kind.String(), "CREDIT_EVENT_KIND_")),
			AmountMinor: c.AmountMinor, OutstandingMinor: c.OutstandingMinor, Currency: c.Currency,
			OccurredAt: time.UnixMilli(c.OccurredAtMs).UTC(), DaysOverdue: c.DaysOverdue,
		})
	}
	return out, nil
}

func printSourceCheck(w io.Writer, v sourceCheckView) {
	r := v.CheckResult
	fmt.Fprintf(w, "credit source: PostgreSQL, %s (%s)\n", r.Mapping, v.DSN)
	fmt.Fprintf(w, "  connected     yes, read-only\n")
	var cols []string
	for _, c := range r.Columns {
		if c.Type == "missing" {
			if c.Optional {
				cols = append(cols, c.Name+" (absent, optional)")
			}
			continue
		}
		cols = append(cols, c.Name+" "+c.Type)
	}
	fmt.Fprintf(w, "  columns       %s\n", strings.Join(cols, ", "))
	fmt.Fprintf(w, "  subjects      %d", r.Subjects)
	if r.UnusableIDs > 0 {
		fmt.Fprintf(w, " (and %d IDs that are not valid IDs of their kind: never found)", r.UnusableIDs)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  rows          %d read, %d bad\n", r.Rows, r.BadRowCount)
	for _, b := range r.BadRows {
		fmt.Fprintf(w, "    %s\n", strings.TrimPrefix(b, creditsource.ErrBadRow.Error()+": "))
	}
	if r.BadRowCount > len(r.BadRows) {
		fmt.Fprintf(w, "    … and %d more\n", r.BadRowCount-len(r.BadRows))
	}
	if r.Subject == nil {
		return
	}
	fmt.Fprintf(w, "\nsubject %.16s…: ", v.SubjectRef)
	switch {
	case r.Subject.Unavailable != "":
		fmt.Fprintf(w, "a credit query would be answered UNAVAILABLE: %s\n", r.Subject.Unavailable)
		return
	case len(v.Events) == 0:
		fmt.Fprintf(w, "no row names this subject: the member would answer that it holds nothing on it\n")
		return
	}
	fmt.Fprintf(w, "a credit query would be answered with %d events\n", len(v.Events))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ACCOUNT\tEVENT\tKIND\tAMOUNT\tOUTSTANDING\tOCCURRED\tDAYS OVERDUE\t")
	for _, e := range v.Events {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s %s\t%s\t%s\t%d\t\n", e.AccountID, e.EventID, e.Kind, minor(e.AmountMinor), e.Currency,
			minor(e.OutstandingMinor), e.OccurredAt.Format("2006-01-02"), e.DaysOverdue)
	}
	tw.Flush()
}

// creditSourceLine is status's line on a credit source other than the
// store.
func creditSourceLine(cs *api.CreditSourceStatus) string {
	line := cs.Kind
	if cs.OK {
		line += ", answering"
	} else {
		line += ", UNAVAILABLE: CREDIT QUERIES ARE ANSWERED UNAVAILABLE"
		if cs.Since != nil {
			line += " since " + cs.Since.Local().Format("2006-01-02 15:04:05")
		}
		if cs.Error != "" {
			line += " (" + cs.Error + ")"
		}
	}
	if cs.Subjects != nil {
		line += fmt.Sprintf("; %d subjects indexed", *cs.Subjects)
		if cs.IndexedAt != nil {
			line += " at " + cs.IndexedAt.Local().Format("15:04:05")
		}
	}
	return line + fmt.Sprintf("; %d answers, %d failures", cs.Answers, cs.Failures)
}
