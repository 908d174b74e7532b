package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/internal/pgtest"
	"github.com/credmesh/credmesh/records"
)

// accountsTable is the documented view's columns as a plain table.
const accountsTable = `CREATE TABLE credmesh_accounts (
	subject_kind text, subject_id text, account_id text, status text, amount_minor bigint,
	outstanding_minor bigint, currency text, as_of timestamptz, days_overdue integer,
	event_id text, expires_at timestamptz)`

// copyRecords puts credit import records into credmesh_accounts.
func copyRecords(t *testing.T, c *pgtest.Cluster, recs []records.Record) {
	t.Helper()
	var rows [][]any
	for _, r := range recs {
		at, err := time.Parse(time.RFC3339, r.OccurredAt)
		if err != nil {
			t.Fatal(err)
		}
		var expires any
		if r.ExpiresAt != "" {
			e, err := time.Parse(time.RFC3339, r.ExpiresAt)
			if err != nil {
				t.Fatal(err)
			}
			expires = e
		}
		rows = append(rows, []any{r.Subject.Kind, r.Subject.ID, r.AccountID, r.Kind, int64(r.AmountMinor), int64(r.OutstandingMinor),
			r.Currency, at, int32(r.DaysOverdue), r.EventID, expires})
	}
	c.CopyRows(t, "credmesh_accounts", []string{"subject_kind", "subject_id", "account_id", "status", "amount_minor",
		"outstanding_minor", "currency", "as_of", "days_overdue", "event_id", "expires_at"}, rows)
}

// reportJSON runs Bank A's report on subject and decodes it.
func reportJSON(t *testing.T, home, subject string) api.ReportView {
	t.Helper()
	var r api.ReportView
	out := mustRun(t, "report", subject, "--home", home, "--purpose", "post_loan_review", "--consent", "C-PG", "--json")
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return r
}

func memberOf(t *testing.T, r api.ReportView, name string) api.ReportMember {
	t.Helper()
	for _, m := range r.Members {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("no member %s in the report", name)
	return api.ReportMember{}
}

// A lender's report is the same whether its loans were imported into
// its store or are read from its PostgreSQL; with the database stopped
// the lender is "unavailable" in the report (never an answer without
// accounts) and in status, and answers again once it is back.
func TestReportFromPostgresEqualsImported(t *testing.T) {
	var recs []records.Record
	for n := range 8 {
		recs = append(recs, records.SampleCreditEvents("bank-b", n, 2)...)
	}
	recs = append(recs, records.Record{Type: records.TypeCreditEvent, EventID: "bank-b-LN-000002-repaid", Subject: recs[2].Subject,
		AccountID: recs[2].AccountID, Kind: "repaid", AmountMinor: recs[2].AmountMinor, Currency: "CNY", OccurredAt: "2026-10-01T10:00:00Z"})
	subject := recs[0].Subject.ID
	c := pgtest.Start(t)
	c.Exec(t, accountsTable)
	copyRecords(t, c, recs)

	peers := setupNetwork(t, "Bank A", "Bank B")
	setInstitutionType(t, peers, "Bank A", "bank")
	startAll(t, peers...)
	bankA, bankB := peers[0], peers[1]
	var lines []string
	for _, r := range recs {
		var m map[string]any
		b, _ := json.Marshal(r)
		json.Unmarshal(b, &m)
		m["outstanding_minor"] = r.OutstandingMinor // 0 is written, never left out
		b, _ = json.Marshal(m)
		lines = append(lines, string(b))
	}
	loans := filepath.Join(t.TempDir(), "loans.jsonl")
	os.WriteFile(loans, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	if out := mustRun(t, "credit", "import", "--home", bankB.home, loans); !strings.Contains(out, "0 refused") {
		t.Fatalf("credit import: %s", out)
	}
	imported := reportJSON(t, bankA.home, subject)
	if m := memberOf(t, imported, "Bank B"); m.Outcome != "answered" || m.PrivateRecords < 4 || imported.Summary.ActiveAccounts == 0 {
		t.Fatalf("report from the imported data: %+v", imported)
	}

	// Bank B now answers from PostgreSQL (its store still holds the
	// imported copy, which is no longer read).
	bankB.stop()
	pointAtDatabase(t, bankB.home, c, nil)
	bankB.start(t)
	waitSealing(t, bankB)
	fromPG := reportJSON(t, bankA.home, subject)
	if !reflect.DeepEqual(fromPG.Summary, imported.Summary) {
		t.Fatalf("summary from PostgreSQL %+v, imported %+v", fromPG.Summary, imported.Summary)
	}
	if !reflect.DeepEqual(fromPG.Accounts, imported.Accounts) || len(imported.Accounts) != 4 {
		t.Fatalf("accounts from PostgreSQL %+v, imported %+v", fromPG.Accounts, imported.Accounts)
	}
	for _, a := range imported.Accounts {
		if len(a.Repayment24m) != 24 || a.Name != "Bank B" {
			t.Fatalf("account %+v", a)
		}
	}
	pm, im := memberOf(t, fromPG, "Bank B"), memberOf(t, imported, "Bank B")
	if pm.Outcome != "answered" || pm.PrivateRecords != im.PrivateRecords || !reflect.DeepEqual(pm.Events, im.Events) {
		t.Fatalf("Bank B from PostgreSQL %+v\nimported %+v", pm, im)
	}
	if cs := status(t, bankB).CreditSource; cs == nil || cs.Kind != "postgres" || !cs.OK || cs.Subjects == nil || *cs.Subjects != 2 {
		t.Fatalf("status credit_source: %+v", cs)
	}

	// The database stops mid-run.
	c.Stop(t)
	down := reportJSON(t, bankA.home, subject)
	if m := memberOf(t, down, "Bank B"); m.Outcome != "unavailable" || m.Records+m.PrivateRecords != 0 || !strings.Contains(m.Error, "could not be read in time") {
		t.Fatalf("Bank B with its database down: %+v", m)
	}
	if down.Summary.Answered != 1 || down.Summary.Asked != 2 {
		t.Fatalf("summary with Bank B's database down: %+v", down.Summary)
	}
	text := mustRun(t, "report", subject, "--home", bankA.home, "--purpose", "post_loan_review", "--consent", "C-PG")
	if !strings.Contains(text, "members answered        1 of 2") || !strings.Contains(text, "unavailable: ") {
		t.Fatalf("report text with Bank B's database down:\n%s", text)
	}
	if cs := status(t, bankB).CreditSource; cs == nil || cs.OK || cs.Failures == 0 {
		t.Fatalf("status credit_source while down: %+v", cs)
	}
	if st := mustRun(t, "status", "--home", bankB.home); !strings.Contains(st, "credit source: postgres, UNAVAILABLE") {
		t.Fatalf("status text while down:\n%s", st)
	}

	c.Restart(t)
	eventually(t, time.Minute, "Bank B answers again from PostgreSQL", func() bool {
		return memberOf(t, reportJSON(t, bankA.home, subject), "Bank B").Outcome == "answered"
	})
	back := reportJSON(t, bankA.home, subject)
	if !reflect.DeepEqual(back.Summary, imported.Summary) || !reflect.DeepEqual(memberOf(t, back, "Bank B").Events, im.Events) {
		t.Fatalf("after the restart: %+v", back)
	}

	// Two lending queries: the second's windows count the first, by a
	// bank (Bank A's genesis institution_type).
	mustRun(t, "report", subject, "--home", bankA.home, "--purpose", "loan_application", "--consent", "C-LOAN-1")
	eventually(t, time.Minute, "the first lending query is counted in the windows", func() bool {
		out := mustRun(t, "report", subject, "--home", bankA.home, "--purpose", "loan_application", "--consent", "C-LOAN-2", "--json")
		var r api.ReportView
		if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Summary.BorrowingWindows) != 5 {
			t.Fatalf("%v\n%s", err, out)
		}
		w := r.Summary.BorrowingWindows[0]
		return w.Days == 7 && w.Institutions == 1 && w.Queries >= 1 && w.BankInstitutions == 1 && w.NonBankQueries == 0
	})
	text = mustRun(t, "report", subject, "--home", bankA.home, "--purpose", "post_loan_review", "--consent", "C-PG")
	if !strings.Contains(text, "LAST 24 MONTHS") || !strings.Contains(text, "last 365 days") {
		t.Fatalf("report text without history:\n%s", text)
	}
}

// setInstitutionType gives the named member an institution_type in every
// home's copy of the genesis (before any peer starts).
func setInstitutionType(t *testing.T, peers []*peerProc, name, typ string) {
	t.Helper()
	for _, p := range peers {
		file := filepath.Join(p.home, "genesis.json")
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		edited := strings.Replace(string(data), `"name": "`+name+`",`, `"name": "`+name+`", "institution_type": "`+typ+`",`, 1)
		if edited == string(data) {
			t.Fatalf("no member %s in %s", name, file)
		}
		if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
