// Package pgtest starts a throwaway PostgreSQL cluster for tests: initdb in
// a temporary directory, a free port on 127.0.0.1, the unix socket inside
// that directory, password authentication over TCP (so the password paths
// of a client are exercised), and everything stopped and removed in
// t.Cleanup.
//
//	c := pgtest.Start(t)
//	c.Exec(t, `CREATE TABLE loans (...)`)
//	cfg.DSN, cfg.PasswordFile = c.DSN(), c.PasswordFile
//	c.Stop(t)  // the database goes down mid-test
//	c.Restart(t)
//
// The server binaries are looked for on PATH and then in Debian's
// /usr/lib/postgresql/<version>/bin (newest first), where the postgresql
// package installs them without linking them onto PATH. Without them the
// test fails, never skips: `make test` installs the server (make
// postgresql).
//
// Launch and Shutdown do the same outside a test: `credmesh demo
// --postgres` runs one lender on such a cluster.
//
// PostgreSQL refuses to run as root. Run as root, the cluster belongs to
// the unprivileged user nobody: the directory is created under the system
// temporary directory (a t.TempDir is private to root) and chowned to it,
// and initdb, pg_ctl and the server run with its credentials.
package pgtest
