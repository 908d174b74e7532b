package pgsource_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/creditsource"
	"github.com/credmesh/credmesh/creditsource/pgsource"
	"github.com/credmesh/credmesh/internal/pgtest"
	"github.com/credmesh/credmesh/records"
)

// Every row of the view becomes exactly the entry credit import makes of
// the same values, in the embedded store's order (by event ID); another
// subject gets nothing, and an empty answer is not a failure.
func TestEventsEqualImportedRecords(t *testing.T) {
	c := pgtest.Start(t)
	c.Exec(t, schema)
	alice, bob := records.SampleResidentID(1), records.SampleResidentID(2)
	loans := sampleLoans(alice)
	insert(t, c, loans)
	insert(t, c, []loan{{bob, "B-1", "opened", 1000, 1000, testNow.AddDate(0, -1, 0), 0}})
	s := open(t, config(c))

	got, err := s.Events(ctxFor(t, 30*time.Second), ref(t, alice))
	if err != nil {
		t.Fatal(err)
	}
	var want [][]byte
	rc := records.Context{NetworkID: "testnet", Issuer: testIssuer, Secret: testSecret, Now: testNow}
	for _, l := range loans {
		r := l.record()
		e, err := r.Entry(rc)
		if err != nil {
			t.Fatal(err)
		}
		data, err := chain.EncodeEntry(e)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, data)
	}
	// The store keeps private events by event ID.
	sortBytesByEventID(t, want)
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("event %d differs from the imported record's entry", i)
		}
	}
	nobody, err := s.Events(ctxFor(t, 30*time.Second), ref(t, records.SampleResidentID(3)))
	if err != nil || len(nobody) != 0 {
		t.Fatalf("unknown subject: %d events, %v", len(nobody), err)
	}
	if h := s.Health(); !h.OK || h.Kind != "postgres" || h.Subjects != 2 || h.Answers != 2 {
		t.Fatalf("health %+v", h)
	}
}

// The database stopped mid-run: queries are unavailable (never "no
// accounts"), health says so, and once it is back the same query answers
// again without a restart of the source.
func TestDatabaseStoppedThenRecovers(t *testing.T) {
	c := pgtest.Start(t)
	c.Exec(t, schema)
	alice := records.SampleResidentID(1)
	insert(t, c, sampleLoans(alice))
	s := open(t, config(c))
	if evs, err := s.Events(ctxFor(t, 30*time.Second), ref(t, alice)); err != nil || len(evs) != 4 {
		t.Fatalf("before: %d events, %v", len(evs), err)
	}
	c.Stop(t)
	evs, err := s.Events(ctxFor(t, 30*time.Second), ref(t, alice))
	if !errors.Is(err, creditsource.ErrUnavailable) || evs != nil {
		t.Fatalf("database down: %d events, %v; want ErrUnavailable", len(evs), err)
	}
	if h := s.Health(); h.OK || h.Failures != 1 || h.Err == "" {
		t.Fatalf("health while down: %+v", h)
	}
	c.Restart(t)
	deadline := time.Now().Add(time.Minute)
	for {
		evs, err = s.Events(ctxFor(t, 30*time.Second), ref(t, alice))
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || len(evs) != 4 {
		t.Fatalf("after restart: %d events, %v", len(evs), err)
	}
	if h := s.Health(); !h.OK {
		t.Fatalf("health after recovery: %+v", h)
	}
}

// A database down when the source starts: the source starts, every query
// is unavailable (not an empty answer) until the index is built.
func TestDatabaseDownAtStart(t *testing.T) {
	c := pgtest.Start(t)
	c.Exec(t, schema)
	alice := records.SampleResidentID(1)
	insert(t, c, sampleLoans(alice))
	c.Stop(t)
	s := open(t, config(c))
	if _, err := s.Events(ctxFor(t, 30*time.Second), ref(t, alice)); !errors.Is(err, creditsource.ErrUnavailable) {
		t.Fatalf("before the first index: %v, want ErrUnavailable", err)
	}
	if h := s.Health(); h.OK {
		t.Fatalf("health: %+v", h)
	}
	c.Restart(t)
	if err := s.Refresh(ctxFor(t, time.Minute)); err != nil {
		t.Fatal(err)
	}
	if evs, err := s.Events(ctxFor(t, 30*time.Second), ref(t, alice)); err != nil || len(evs) != 4 {
		t.Fatalf("after: %d events, %v", len(evs), err)
	}
}

// A statement slower than the credit query's deadline: the source gives
// up by the deadline with ErrUnavailable (the check here is only that it
// returned long before the statement would have ended), and the server
// has cancelled the statement: statement_timeout came from the deadline.
func TestSlowQueryUnavailableByDeadline(t *testing.T) {
	c := pgtest.Start(t)
	c.Exec(t, schema)
	alice := records.SampleResidentID(1)
	insert(t, c, sampleLoans(alice))
	cfg := config(c)
	cfg.View = ""
	cfg.Query = `SELECT * FROM credmesh_accounts WHERE subject_kind = @subject_kind AND subject_id = @subject_id AND (SELECT true FROM pg_sleep(300))`
	cfg.SubjectsQuery = `SELECT DISTINCT subject_kind, subject_id FROM credmesh_accounts`
	s := open(t, cfg)

	for _, tc := range []struct {
		name string
		ctx  func() context.Context
	}{
		{"query deadline", func() context.Context { return ctxFor(t, 300*time.Millisecond) }},
		{"source's query_timeout", func() context.Context { return context.Background() }},
	} {
		start := time.Now()
		_, err := s.Events(tc.ctx(), ref(t, alice))
		if !errors.Is(err, creditsource.ErrUnavailable) {
			t.Fatalf("%s: %v, want ErrUnavailable", tc.name, err)
		}
		if el := time.Since(start); el > 2*time.Minute {
			t.Fatalf("%s: returned after %s: the statement ran to its end", tc.name, el)
		}
	}
	// No session is still sleeping: the server stopped the statements.
	c.Exec(t, `DO $$ BEGIN
		FOR i IN 1..600 LOOP
			EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(300)%' AND state = 'active' AND pid <> pg_backend_pid());
			PERFORM pg_sleep(0.1);
		END LOOP;
		IF EXISTS (SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(300)%' AND state = 'active' AND pid <> pg_backend_pid()) THEN
			RAISE EXCEPTION 'a slow statement still runs';
		END IF;
	END $$`)
}

// A mapping that does not fit is refused at start with the column named;
// named parameters are checked; a DSN holding a password is refused.
func TestWrongMappingRefused(t *testing.T) {
	c := pgtest.Start(t)
	c.Exec(t, schema)
	c.Exec(t, `CREATE VIEW short_view AS SELECT id_no AS subject_id, loan_no AS account_id, state AS status FROM loans;
		CREATE VIEW typed_view AS SELECT id_type AS subject_kind, id_no AS subject_id, loan_no AS account_id, state AS status,
			line AS amount_minor, balance AS outstanding_minor, ccy AS currency, 'yesterday'::text AS as_of, dpd AS days_overdue FROM loans;`)
	for _, tc := range []struct {
		name string
		edit func(*pgsource.Config)
		want []string
	}{
		{"no such view", func(c *pgsource.Config) { c.View = "missing_view" }, []string{"missing_view", "does not exist"}},
		{"missing columns", func(c *pgsource.Config) { c.View = "short_view" }, []string{"amount_minor", "is missing", "as_of"}},
		{"wrong type", func(c *pgsource.Config) { c.View = "typed_view" }, []string{"column as_of has type", "timestamptz"}},
		{"unknown parameter", func(c *pgsource.Config) {
			c.View, c.Query, c.SubjectsQuery = "", "SELECT * FROM credmesh_accounts WHERE subject_id = @subject_id AND account_id = @account", "SELECT DISTINCT subject_kind, subject_id FROM credmesh_accounts"
		}, []string{"unknown parameter @account"}},
		{"query without subjects query", func(c *pgsource.Config) {
			c.View, c.Query = "", "SELECT * FROM credmesh_accounts WHERE subject_id = @subject_id"
		}, []string{"go together"}},
		{"bad subjects query", func(c *pgsource.Config) {
			c.View, c.Query, c.SubjectsQuery = "", "SELECT * FROM credmesh_accounts WHERE subject_id = @subject_id", "SELECT subject_id FROM credmesh_accounts"
		}, []string{"subjects_query must return"}},
		{"password in dsn", func(c *pgsource.Config) { c.DSN += " password=x" }, []string{"must not hold the password"}},
	} {
		cfg := config(c)
		tc.edit(&cfg)
		s, err := pgsource.New(ctxFor(t, time.Minute), cfg)
		if err == nil {
			s.Close()
			t.Fatalf("%s: accepted", tc.name)
		}
		if !errors.Is(err, creditsource.ErrMapping) {
			t.Fatalf("%s: %v, want ErrMapping", tc.name, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Fatalf("%s: %q does not say %q", tc.name, err, w)
			}
		}
	}
}

// Rows that make no valid event are refused with the row named (position
// and account), never the subject's ID; the subject's query is
// unavailable rather than answered without the row.
func TestBadRowsRefusedByName(t *testing.T) {
	c := pgtest.Start(t)
	c.Exec(t, schema)
	at := testNow.AddDate(0, -2, 0)
	for i, tc := range []struct {
		row  string // VALUES of loans after the subject
		want []string
	}{
		{`'A-1', 'opened', NULL, 100, 'CNY', $2, 0`, []string{`row 1 (account "A-1")`, "amount_minor is NULL"}},
		{`'A-2', 'opened', 100, -5, 'CNY', $2, 0`, []string{`account "A-2"`, "outstanding_minor is negative (-5)"}},
		{`'A-3', 'frozen', 100, 100, 'CNY', $2, 0`, []string{`account "A-3"`, `status "frozen" is not one of`}},
		{`'A-4', 'opened', 100, 100, 'CNY', NULL, 0`, []string{`account "A-4"`, "as_of is NULL"}},
		{`'A-5', 'overdue', 100, 100, 'CNY', $2, 0`, []string{`account "A-5"`, "days_overdue"}},
		{`'A-6', 'opened', 100, 100.5, 'CNY', $2, 0`, []string{`account "A-6"`, "not a whole number"}},
		{`NULL, 'opened', 100, 100, 'CNY', $2, 0`, []string{"row 1", "account_id is NULL"}},
	} {
		id := records.SampleResidentID(100 + i)
		row := strings.ReplaceAll(tc.row, "$2", "'"+at.Format(time.RFC3339)+"'")
		c.Exec(t, `INSERT INTO loans (id_type, id_no, loan_no, state, line, balance, ccy, changed, dpd) VALUES ('cn-rid', $1, `+row+`)`, id)
		s := open(t, config(c))
		_, err := s.Events(ctxFor(t, 30*time.Second), ref(t, id))
		if !errors.Is(err, creditsource.ErrBadRow) {
			t.Fatalf("row %q: %v, want ErrBadRow", tc.row, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Fatalf("row %q: %q does not say %q", tc.row, err, w)
			}
		}
		if strings.Contains(err.Error(), id) {
			t.Fatalf("the error quotes the subject's ID: %q", err)
		}
		s.Close()
	}
}
