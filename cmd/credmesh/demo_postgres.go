package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/internal/pgtest"
	"github.com/credmesh/credmesh/records"
)

// demoPostgresMember is the lender whose loans `demo --postgres` keeps in
// PostgreSQL instead of submitting them: the last of devnet's members.
func demoPostgresMember(net *devnet.Net) int { return len(net.Opts.Members) - 1 }

// demoPostgres is the PostgreSQL part of the demo's summary.
type demoPostgres struct {
	Member string `json:"member"`
	DSN    string `json:"dsn"`
	View   string `json:"view"`
	Rows   int    `json:"rows"`
}

// demoAccountsTable is the documented view's columns as a plain table.
const demoAccountsTable = `CREATE TABLE credmesh_accounts (
	subject_kind text, subject_id text, account_id text, status text, amount_minor bigint,
	outstanding_minor bigint, currency text, as_of timestamptz, days_overdue integer,
	event_id text, expires_at timestamptz);
CREATE INDEX ON credmesh_accounts (subject_id)`

// startDemoPostgres starts a throwaway PostgreSQL cluster (internal/pgtest,
// loopback only), loads the last lender's sample loans into its
// credmesh_accounts and points that lender's config.toml at it. The
// caller shuts the cluster down.
func startDemoPostgres(ctx context.Context, net *devnet.Net, loans int) (*pgtest.Cluster, *demoPostgres, error) {
	if _, err := pgtest.FindBin(); err != nil {
		return nil, nil, &exitError{code: 1, msg: "demo --postgres needs a PostgreSQL server on this machine (initdb and pg_ctl, e.g. Debian's postgresql package: `make postgresql` installs it); run `credmesh demo` without --postgres otherwise\n" + err.Error()}
	}
	c, err := pgtest.Launch()
	if err != nil {
		return nil, nil, err
	}
	i := demoPostgresMember(net)
	m := net.Opts.Members[i]
	var rows [][]any
	for n := range loans {
		for _, r := range records.SampleCreditEvents(m.Dir, n, 500) {
			row, err := demoRow(r)
			if err != nil {
				c.Shutdown()
				return nil, nil, err
			}
			rows = append(rows, row)
		}
	}
	lctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := c.ExecSQL(lctx, demoAccountsTable); err == nil {
		err = c.Copy(lctx, "credmesh_accounts", []string{"subject_kind", "subject_id", "account_id", "status", "amount_minor",
			"outstanding_minor", "currency", "as_of", "days_overdue", "event_id", "expires_at"}, rows)
	}
	if err != nil {
		c.Shutdown()
		return nil, nil, err
	}
	h := net.Homes[i]
	cfg, err := config.Load(h.ConfigPath())
	if err == nil {
		err = os.WriteFile(filepath.Join(string(h), "db-password"), []byte(pgtest.Password+"\n"), 0o600)
	}
	if err == nil {
		cfg.CreditSource.Kind, cfg.CreditSource.DSN, cfg.CreditSource.PasswordFile = "postgres", c.DSN(), "db-password"
		err = cfg.WriteFile(h.ConfigPath())
	}
	if err != nil {
		c.Shutdown()
		return nil, nil, err
	}
	return c, &demoPostgres{Member: m.Name, DSN: c.DSN(), View: cfg.CreditSource.View, Rows: len(rows)}, nil
}

// demoRow is a credit event record as a row of credmesh_accounts.
func demoRow(r records.Record) ([]any, error) {
	at, err := time.Parse(time.RFC3339, r.OccurredAt)
	if err != nil {
		return nil, err
	}
	var expires any
	if r.ExpiresAt != "" {
		e, err := time.Parse(time.RFC3339, r.ExpiresAt)
		if err != nil {
			return nil, err
		}
		expires = e
	}
	return []any{r.Subject.Kind, r.Subject.ID, r.AccountID, r.Kind, int64(r.AmountMinor), int64(r.OutstandingMinor),
		r.Currency, at, int32(r.DaysOverdue), r.EventID, expires}, nil
}

// printDemoPostgres says how the PostgreSQL lender answered the report.
func printDemoPostgres(w io.Writer, s demoSummary) {
	if s.Postgres == nil {
		return
	}
	for _, m := range s.Report.Members {
		if m.Name == s.Postgres.Member {
			fmt.Fprintf(w, "  %s answered from PostgreSQL (%d rows in %s): %s, %d private records read at query time\n",
				m.Name, s.Postgres.Rows, s.Postgres.View, strings.ReplaceAll(m.Outcome, "_", " "), m.PrivateRecords)
		}
	}
}
