package pgtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/credmesh/credmesh/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// A cluster starts, answers over TCP with the password, stops and starts
// again on its port.
func TestClusterStartStopRestart(t *testing.T) {
	c := pgtest.Start(t)
	c.Exec(t, `CREATE TABLE t (n int); INSERT INTO t VALUES (41)`)
	count := func() (int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, c.DSN()+" password="+pgtest.Password)
		if err != nil {
			return 0, err
		}
		defer conn.Close(ctx)
		var n int
		err = conn.QueryRow(ctx, `SELECT n + 1 FROM t`).Scan(&n)
		return n, err
	}
	if n, err := count(); err != nil || n != 42 {
		t.Fatalf("query: %d, %v", n, err)
	}
	c.Stop(t)
	if _, err := count(); err == nil {
		t.Fatal("a stopped server answered")
	}
	c.Restart(t)
	if n, err := count(); err != nil || n != 42 {
		t.Fatalf("after restart: %d, %v", n, err)
	}
}
