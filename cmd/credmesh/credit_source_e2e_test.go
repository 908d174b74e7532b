package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/pgtest"
	"github.com/credmesh/credmesh/records"
)

// lenderSchema is a lender's own table and the documented view over it.
const lenderSchema = `
CREATE TABLE loans (
	id_type text, id_no text, loan_no text, state text,
	line bigint, balance bigint, ccy text, changed timestamptz, dpd integer
);
CREATE VIEW credmesh_accounts AS SELECT
	id_type AS subject_kind, id_no AS subject_id, loan_no AS account_id, state AS status,
	line AS amount_minor, balance AS outstanding_minor, ccy AS currency, changed AS as_of,
	dpd AS days_overdue
FROM loans;
CREATE VIEW short_view AS SELECT id_no AS subject_id, loan_no AS account_id FROM loans;
`

// pointAtDatabase writes home's [credit_source]: the cluster, the
// password in a file of the home.
func pointAtDatabase(t *testing.T, home string, c *pgtest.Cluster, edit func(*config.CreditSourceConfig)) {
	t.Helper()
	cfg, err := config.Load(filepath.Join(home, config.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "db-password"), []byte(pgtest.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.CreditSource.Kind = "postgres"
	cfg.CreditSource.DSN = c.DSN()
	cfg.CreditSource.PasswordFile = "db-password"
	cfg.CreditSource.View = "credmesh_accounts"
	if edit != nil {
		edit(&cfg.CreditSource)
	}
	if err := cfg.WriteFile(filepath.Join(home, config.ConfigFile)); err != nil {
		t.Fatal(err)
	}
}

// credit source check: a mapping that fits and the answer for one ID; an
// unknown ID; a bad row named by account, never by subject; and a clear
// error, without the password, for a wrong DSN, a wrong password, a
// missing view, a missing column and a password file that cannot be used.
func TestCreditSourceCheck(t *testing.T) {
	c := pgtest.Start(t)
	c.Exec(t, lenderSchema)
	alice, bob := records.SampleResidentID(1), records.SampleResidentID(2)
	at := time.Now().UTC().AddDate(0, -3, 0).Truncate(time.Second)
	c.Exec(t, `INSERT INTO loans VALUES ('cn-rid', $1, 'L-1', 'opened', 500000, 500000, 'CNY', $2, 0),
		('cn-rid', $1, 'L-1', 'overdue', 20000, 300000, 'CNY', $3, 45)`, alice, at, at.AddDate(0, 2, 0))
	home := setupNetwork(t, "Bank A")[0].home
	pointAtDatabase(t, home, c, nil)

	out := mustRun(t, "credit", "source", "check", "--home", home)
	for _, want := range []string{"view credmesh_accounts", "subjects      1", "rows          2 read, 0 bad", "as_of timestamptz"} {
		if !strings.Contains(out, want) {
			t.Fatalf("check does not say %q:\n%s", want, out)
		}
	}
	var v struct {
		OK     bool `json:"ok"`
		Events []struct {
			AccountID   string `json:"account_id"`
			Kind        string `json:"kind"`
			DaysOverdue int    `json:"days_overdue"`
		} `json:"events"`
	}
	out = mustRun(t, "credit", "source", "check", "--home", home, "--id", alice, "--json")
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !v.OK || len(v.Events) != 2 || v.Events[1].Kind != "overdue" || v.Events[1].DaysOverdue != 45 {
		t.Fatalf("answer for the ID: %s", out)
	}
	if strings.Contains(out, alice) {
		t.Fatalf("the answer quotes the subject's ID:\n%s", out)
	}
	out = mustRun(t, "credit", "source", "check", "--home", home, "--id", bob)
	if !strings.Contains(out, "no row names this subject") {
		t.Fatalf("unknown ID:\n%s", out)
	}

	c.Exec(t, `INSERT INTO loans VALUES ('cn-rid', $1, 'B-7', 'frozen', 100, -5, 'CNY', $2, 0)`, bob, at)
	stdout, stderr, code := credmesh(t, "credit", "source", "check", "--home", home, "--id", bob)
	if code != 1 {
		t.Fatalf("bad row: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{`account "B-7"`, `status "frozen" is not one of`, "outstanding_minor is negative (-5)", "3 read, 1 bad", "answered UNAVAILABLE"} {
		if !strings.Contains(stdout, want) {
			t.Fatalf("bad row: output does not say %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout+stderr, bob) {
		t.Fatalf("the bad row is named by the subject's ID:\n%s%s", stdout, stderr)
	}
	c.Exec(t, `DELETE FROM loans WHERE loan_no = 'B-7'`)

	for _, tc := range []struct {
		name string
		edit func(*config.CreditSourceConfig)
		want []string
	}{
		{"nothing listens", func(cs *config.CreditSourceConfig) {
			cs.DSN = strings.Replace(cs.DSN, "port="+strconv.Itoa(c.Port), "port="+strconv.Itoa(freePort(t)), 1)
		}, []string{"connecting to PostgreSQL", "check [credit_source] dsn"}},
		{"malformed dsn", func(cs *config.CreditSourceConfig) { cs.DSN = "host=127.0.0.1 port=notaport" }, []string{"dsn", "notaport"}},
		{"wrong password", func(cs *config.CreditSourceConfig) {
			os.WriteFile(filepath.Join(home, "db-password"), []byte("wrong-password-123\n"), 0o600)
		}, []string{"password authentication failed"}},
		{"missing view", func(cs *config.CreditSourceConfig) { cs.View = "no_such_view" }, []string{"no_such_view", "does not exist"}},
		{"missing columns", func(cs *config.CreditSourceConfig) { cs.View = "short_view" }, []string{"column status (text) is missing", "amount_minor"}},
		{"password file missing", func(cs *config.CreditSourceConfig) { cs.PasswordFile = "no-such-file" }, []string{"credit_source.password_file", "no such file"}},
		{"password file readable by others", func(cs *config.CreditSourceConfig) {
			os.Chmod(filepath.Join(home, "db-password"), 0o644)
		}, []string{"group and others must not read it"}},
	} {
		pointAtDatabase(t, home, c, tc.edit)
		stdout, stderr, code := credmesh(t, "credit", "source", "check", "--home", home)
		if code != 1 {
			t.Fatalf("%s: exit %d\n%s%s", tc.name, code, stdout, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Fatalf("%s: stderr does not say %q:\n%s", tc.name, w, stderr)
			}
		}
		if strings.Contains(stdout+stderr, pgtest.Password) || strings.Contains(stdout+stderr, "wrong-password-123") {
			t.Fatalf("%s: the password is printed:\n%s%s", tc.name, stdout, stderr)
		}
	}
}
