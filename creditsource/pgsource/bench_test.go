package pgsource_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/credmesh/credmesh/creditsource/pgsource"
	"github.com/credmesh/credmesh/internal/pgtest"
	"github.com/credmesh/credmesh/records"
	"github.com/jackc/pgx/v5/pgxpool"
)

// benchAccounts is the size of the lender's book in the benchmark.
const benchAccounts = 100_000

// BenchmarkEvents100k: one credit query's read of a subject's accounts
// from a PostgreSQL holding 100,000 accounts (one subject each, every
// third with an overdue row too: 133,334 rows, an index on the ID), on
// loopback. "source" is Source.Events (read-only transaction,
// statement_timeout, rows turned into signed-ready entries); "pgx" is the
// baseline, a bare pgx query of the same rows on a pool of the same size,
// scanned to values. Each reports p50_ms and p99_ms per answer.
//
//	go test ./creditsource/pgsource -run '^$' -bench Events100k -benchtime 20000x
func BenchmarkEvents100k(b *testing.B) {
	if _, err := pgtest.FindBin(); err != nil {
		b.Skipf("no PostgreSQL server to benchmark against: %v", err)
	}
	c := pgtest.Start(b)
	c.Exec(b, schema)
	rows := make([][]any, 0, benchAccounts*4/3+1)
	ids := make([]string, benchAccounts)
	at := testNow.AddDate(0, -6, 0)
	for i := range benchAccounts {
		ids[i] = records.SampleResidentID(i)
		rows = append(rows, []any{"cn-rid", ids[i], "L-" + ids[i], "opened", int64(500000 + i), int64(500000), "CNY", at, int32(0)})
		if i%3 == 0 {
			rows = append(rows, []any{"cn-rid", ids[i], "L-" + ids[i], "overdue", int64(20000), int64(480000), "CNY", at.AddDate(0, 2, 0), int32(35)})
		}
	}
	c.CopyRows(b, "loans", []string{"id_type", "id_no", "loan_no", "state", "line", "balance", "ccy", "changed", "dpd"}, rows)
	c.Exec(b, `CREATE INDEX loans_subject ON loans (id_no, id_type); ANALYZE loans`)
	s := open(b, config(c))
	if h := s.Health(); h.Subjects < benchAccounts*9/10 {
		b.Fatalf("index holds %d subjects", h.Subjects)
	}
	refs := make([][32]byte, len(ids))
	for i, id := range ids {
		refs[i] = ref(b, id)
	}

	b.Run("pgx", func(b *testing.B) {
		pc, err := pgxpool.ParseConfig(c.DSN() + " password=" + pgtest.Password)
		if err != nil {
			b.Fatal(err)
		}
		pc.MaxConns = pgsource.DefaultMaxConns
		pool, err := pgxpool.NewWithConfig(context.Background(), pc)
		if err != nil {
			b.Fatal(err)
		}
		defer pool.Close()
		const q = `SELECT subject_kind, subject_id, account_id, status, amount_minor, outstanding_minor, currency, as_of, days_overdue, event_id, expires_at
			FROM credmesh_accounts WHERE coalesce(subject_kind, 'cn-rid') = $1 AND subject_id = $2`
		measure(b, func(i int) int {
			rs, err := pool.Query(context.Background(), q, "cn-rid", ids[i])
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rs.Next() {
				if _, err := rs.Values(); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if rs.Err() != nil {
				b.Fatal(rs.Err())
			}
			return n
		})
	})
	b.Run("source", func(b *testing.B) {
		measure(b, func(i int) int {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			evs, err := s.Events(ctx, refs[i])
			if err != nil {
				b.Fatal(err)
			}
			return len(evs)
		})
	})
}

// measure runs one answer per iteration for a random subject, checks it
// found rows, and reports the p50 and p99 latency.
func measure(b *testing.B, answer func(i int) int) {
	r := rand.New(rand.NewPCG(1, 2))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		i := r.IntN(benchAccounts)
		start := time.Now()
		if answer(i) == 0 {
			b.Fatalf("subject %d: no rows", i)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(q(0.50), "p50_ms")
	b.ReportMetric(q(0.99), "p99_ms")
}
