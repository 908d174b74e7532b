package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// User is the database superuser of every test cluster; Password is its
// password over TCP.
const (
	User     = "credmesh"
	Password = "test-password-not-secret"
	Database = "postgres"
)

// Cluster is a running throwaway server.
type Cluster struct {
	// Dir holds the data directory, the socket, the server's log and
	// PasswordFile.
	Dir string
	// Port is the server's TCP port on 127.0.0.1.
	Port int
	// PasswordFile holds Password, mode 0600.
	PasswordFile string
	bin          string
	cred         *syscall.Credential // nil unless run as root
}

// Start initializes and starts a cluster, stopped and removed in
// t.Cleanup. It fails t when the server cannot be found or started.
func Start(t testing.TB) *Cluster {
	t.Helper()
	c, err := Launch()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Shutdown() })
	return c
}

// Launch initializes and starts a cluster outside a test (credmesh demo
// --postgres); Shutdown stops and removes it.
func Launch() (c *Cluster, err error) {
	bin, err := FindBin()
	if err != nil {
		return nil, err
	}
	c = &Cluster{bin: bin}
	if os.Geteuid() == 0 {
		if c.cred, err = nobody(); err != nil {
			return nil, err
		}
	}
	if c.Dir, err = os.MkdirTemp("", "credmesh-pg-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			c.stop()
			os.RemoveAll(c.Dir)
		}
	}()
	if c.cred != nil {
		if err := os.Chown(c.Dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return nil, err
		}
	}
	pwfile := filepath.Join(c.Dir, "initdb-password")
	if err := c.writeOwned(pwfile, Password+"\n"); err != nil {
		return nil, err
	}
	c.PasswordFile = filepath.Join(c.Dir, "password")
	if err := os.WriteFile(c.PasswordFile, []byte(Password+"\n"), 0o600); err != nil {
		return nil, err
	}
	if out, err := c.run("initdb", "-D", c.dataDir(), "-U", User, "--pwfile", pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		return nil, fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	// A port found free may be taken before the server binds it: try a
	// few.
	for attempt := 0; ; attempt++ {
		if c.Port, err = freePort(); err != nil {
			return nil, err
		}
		out, err := c.start()
		if err == nil {
			break
		}
		if attempt == 2 {
			return nil, fmt.Errorf("pgtest: starting the server: %v\n%s\n%s", err, out, c.log())
		}
	}
	return c, nil
}

// Shutdown stops the server and removes its directory.
func (c *Cluster) Shutdown() error {
	_, err := c.stop()
	if rerr := os.RemoveAll(c.Dir); err == nil {
		err = rerr
	}
	return err
}

// DSN is the connection string of the cluster over TCP, without the
// password (PasswordFile or Password supplies it).
func (c *Cluster) DSN() string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=%s dbname=%s sslmode=disable connect_timeout=5", c.Port, User, Database)
}

// Stop stops the server at once (fast shutdown: sessions are cut).
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	if out, err := c.stop(); err != nil {
		t.Fatalf("pgtest: stopping: %v\n%s", err, out)
	}
}

// Restart starts a stopped server again on the same port.
func (c *Cluster) Restart(t testing.TB) {
	t.Helper()
	if out, err := c.start(); err != nil {
		t.Fatalf("pgtest: restarting: %v\n%s\n%s", err, out, c.log())
	}
}

// Exec runs SQL statements as the superuser, failing t on an error.
func (c *Cluster) Exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.ExecSQL(ctx, sql, args...); err != nil {
		t.Fatal(err)
	}
}

// ExecSQL runs SQL statements as the superuser.
func (c *Cluster) ExecSQL(ctx context.Context, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, c.DSN()+" password="+Password)
	if err != nil {
		return fmt.Errorf("pgtest: connecting: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("pgtest: %w\nin: %s", err, sql)
	}
	return nil
}

// CopyRows bulk-loads rows into table's columns, failing t on an error.
func (c *Cluster) CopyRows(t testing.TB, table string, columns []string, rows [][]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := c.Copy(ctx, table, columns, rows); err != nil {
		t.Fatal(err)
	}
}

// Copy bulk-loads rows into table's columns.
func (c *Cluster) Copy(ctx context.Context, table string, columns []string, rows [][]any) error {
	conn, err := pgx.Connect(ctx, c.DSN()+" password="+Password)
	if err != nil {
		return fmt.Errorf("pgtest: connecting: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("pgtest: copying into %s: %w", table, err)
	}
	return nil
}

func (c *Cluster) dataDir() string { return filepath.Join(c.Dir, "data") }

func (c *Cluster) start() ([]byte, error) {
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50",
		c.Port, c.Dir)
	return c.run("pg_ctl", "start", "-w", "-t", "120", "-D", c.dataDir(), "-l", filepath.Join(c.Dir, "server.log"), "-o", opts)
}

func (c *Cluster) stop() ([]byte, error) {
	return c.run("pg_ctl", "stop", "-w", "-t", "120", "-m", "fast", "-D", c.dataDir())
}

// log returns the end of the server's log, for a failure message.
func (c *Cluster) log() string {
	data, _ := os.ReadFile(filepath.Join(c.Dir, "server.log"))
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

// run runs one of the server's programs as the cluster's owner. Its
// output goes to a file, not a pipe: the server pg_ctl starts inherits it
// and would hold a pipe open for ever.
func (c *Cluster) run(prog string, args ...string) ([]byte, error) {
	out, err := os.CreateTemp(c.Dir, "out-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.Command(filepath.Join(c.bin, prog), args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Dir = c.Dir
	cmd.Env = []string{"PATH=" + c.bin + ":/usr/bin:/bin", "LANG=C", "LC_ALL=C", "HOME=" + c.Dir}
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	err = cmd.Run()
	data, _ := os.ReadFile(out.Name())
	return data, err
}

// writeOwned writes a file the cluster's owner can read.
func (c *Cluster) writeOwned(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return err
	}
	if c.cred != nil {
		return os.Chown(path, int(c.cred.Uid), int(c.cred.Gid))
	}
	return nil
}

// nobody returns the credentials of the unprivileged user nobody.
func nobody() (*syscall.Credential, error) {
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root needs the user nobody to own the cluster: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pgtest: user nobody has uid %q gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
