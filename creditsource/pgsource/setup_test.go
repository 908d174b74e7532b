package pgsource_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/creditsource/pgsource"
	"github.com/credmesh/credmesh/internal/pgtest"
	"github.com/credmesh/credmesh/records"
)

var (
	testSecret = []byte("0123456789abcdef0123456789abcdef")
	testIssuer = chain.IssuerID{7}
	testNow    = time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)
)

// schema is a lender's own table and the documented view over it.
const schema = `
CREATE TABLE loans (
	id_type text, id_no text, loan_no text, state text,
	line bigint, balance numeric, ccy text, changed timestamptz, dpd integer
);
CREATE VIEW credmesh_accounts AS SELECT
	id_type AS subject_kind, id_no AS subject_id, loan_no AS account_id, state AS status,
	line AS amount_minor, balance AS outstanding_minor, ccy AS currency, changed AS as_of,
	dpd AS days_overdue, NULL::text AS event_id, NULL::timestamptz AS expires_at
FROM loans;
`

// loan is one row of the lender's table.
type loan struct {
	subject, account, status string
	line, balance            int64
	at                       time.Time
	dpd                      int32
}

func insert(t testing.TB, c *pgtest.Cluster, loans []loan) {
	t.Helper()
	rows := make([][]any, len(loans))
	for i, l := range loans {
		rows[i] = []any{"cn-rid", l.subject, l.account, l.status, l.line, l.balance, "CNY", l.at, l.dpd}
	}
	c.CopyRows(t, "loans", []string{"id_type", "id_no", "loan_no", "state", "line", "balance", "ccy", "changed", "dpd"}, rows)
}

// record is the credit import record of the same loan.
func (l loan) record() records.Record {
	r := records.Record{
		Type: records.TypeCreditEvent, EventID: l.account + "@" + l.at.UTC().Format("20060102T150405.000Z"),
		Subject: &records.Subject{Kind: "cn-rid", ID: l.subject}, AccountID: l.account, Kind: l.status,
		AmountMinor: uint64(l.line), OutstandingMinor: uint64(l.balance), Currency: "CNY",
		OccurredAt: l.at.UTC().Format(time.RFC3339Nano), DaysOverdue: uint32(l.dpd),
	}
	if l.status == "overdue" || l.status == "defaulted" {
		r.ExpiresAt = l.at.AddDate(5, 0, 0).UTC().Format(time.RFC3339Nano)
	}
	return r
}

func sampleLoans(subject string) []loan {
	day := func(d int) time.Time { return testNow.AddDate(0, 0, -d) }
	return []loan{
		{subject, "L-1", "opened", 500000, 500000, day(400), 0},
		{subject, "L-1", "overdue", 20000, 300000, day(100), 45},
		{subject, "L-1", "repaid", 300000, 0, day(20), 0},
		{subject, "C-9", "opened", 100000, 80000, day(60), 0},
	}
}

func config(c *pgtest.Cluster) pgsource.Config {
	return pgsource.Config{
		DSN: c.DSN(), Password: pgtest.Password, NetworkID: "testnet", Issuer: testIssuer, Secret: testSecret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return testNow },
	}
}

func open(t testing.TB, cfg pgsource.Config) *pgsource.Source {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := pgsource.New(ctx, cfg)
	if err != nil {
		t.Fatalf("pgsource.New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ref(t testing.TB, id string) [32]byte {
	t.Helper()
	r, err := records.SubjectRef(records.Subject{Kind: "cn-rid", ID: id}, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return [32]byte(r)
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

var _ = fmt.Sprint
