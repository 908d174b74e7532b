package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// CreditSourceConfig is the [credit_source] section: where the member's
// private credit data is read when a credit query arrives (package
// creditsource). Kind "store" (the default) reads the peer's own store,
// filled by credit import; "postgres" reads the institution's PostgreSQL
// at query time (docs/OPERATIONS.md, Credit data in PostgreSQL).
type CreditSourceConfig struct {
	// Kind is store or postgres. Default store.
	Kind string `toml:"kind" comment:"Where credit queries are answered from: store (credit import) or postgres."`
	// DSN is the libpq connection string or postgres:// URL, without the
	// password. Required for postgres.
	DSN string `toml:"dsn" comment:"PostgreSQL connection string or URL, without the password (password_file or password_env)."`
	// PasswordFile is a file holding the database password (its first
	// line); group and others must not read it. Relative to the home.
	PasswordFile string `toml:"password_file" comment:"File holding the database password, mode 0600; relative paths are under the home."`
	// PasswordEnv names the environment variable holding the password
	// instead. At most one of PasswordFile and PasswordEnv.
	PasswordEnv string `toml:"password_env" comment:"Environment variable holding the database password (instead of password_file)."`
	// View is the view read when Query is empty. Default credmesh_accounts.
	View string `toml:"view" comment:"View (or table) of the institution's accounts, with the documented columns. Default credmesh_accounts."`
	// Query and SubjectsQuery replace View: SQL with the named parameters
	// @subject_kind and @subject_id, and SQL listing subject_kind,
	// subject_id. Both or neither.
	Query         string `toml:"query" comment:"SQL returning one subject's rows, with @subject_kind and @subject_id (instead of view)."`
	SubjectsQuery string `toml:"subjects_query" comment:"SQL listing every subject_kind, subject_id (with query)."`
	// MaxConns bounds the connection pool: 1 to 64. Default 4.
	MaxConns int `toml:"max_conns" comment:"Most connections to the database, 1 to 64."`
	// QueryTimeout caps one credit query's statement: 10ms to 1m. Default 2s.
	QueryTimeout Duration `toml:"query_timeout" comment:"Longest a credit query's statement may run, 10ms to 1m (also bounded by the query's deadline)."`
	// IndexRefresh is how often the subject index is rebuilt: 1s to 24h.
	// Default 1m.
	IndexRefresh Duration `toml:"index_refresh" comment:"How often the subject index is rebuilt from the database, 1s to 24h."`
}

// DefaultCreditSource is the section's defaults.
func DefaultCreditSource() CreditSourceConfig {
	return CreditSourceConfig{Kind: "store", View: "credmesh_accounts", MaxConns: 4,
		QueryTimeout: Duration(2 * time.Second), IndexRefresh: Duration(time.Minute)}
}

var (
	envName        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	dsnHasPassword = regexp.MustCompile(`(?i)(^|\s)password\s*=|^postgres(ql)?://[^/@]*:[^/@]*@`)
)

// validate reports the section's problems through bad.
func (c CreditSourceConfig) validate(bad func(field, format string, args ...any)) {
	switch c.Kind {
	case "store":
		return
	case "postgres":
	default:
		bad("credit_source.kind", "%q is not one of store, postgres", c.Kind)
		return
	}
	switch {
	case c.DSN == "":
		bad("credit_source.dsn", "required when kind is postgres")
	case dsnHasPassword.MatchString(c.DSN):
		bad("credit_source.dsn", "holds a password: put it in password_file or the variable password_env names, never in config.toml")
	}
	if c.PasswordFile != "" && c.PasswordEnv != "" {
		bad("credit_source.password_env", "set together with password_file: use one")
	}
	if c.PasswordEnv != "" && !envName.MatchString(c.PasswordEnv) {
		bad("credit_source.password_env", "%q is not an environment variable name", c.PasswordEnv)
	}
	if (c.Query == "") != (c.SubjectsQuery == "") {
		bad("credit_source.subjects_query", "query and subjects_query go together")
	}
	if c.MaxConns < 1 || c.MaxConns > 64 {
		bad("credit_source.max_conns", "%d is outside 1..64", c.MaxConns)
	}
	if t := c.QueryTimeout.D(); t < 10*time.Millisecond || t > time.Minute {
		bad("credit_source.query_timeout", "%s is outside 10ms..1m", t)
	}
	if t := c.IndexRefresh.D(); t < time.Second || t > 24*time.Hour {
		bad("credit_source.index_refresh", "%s is outside 1s..24h", t)
	}
}

// Password reads the database password from PasswordFile (relative to
// home) or the variable PasswordEnv names; "" when neither is set. A file
// that group or others may read is refused. The password is never in an
// error.
func (c CreditSourceConfig) Password(home Home) (string, error) {
	switch {
	case c.PasswordEnv != "":
		v, ok := os.LookupEnv(c.PasswordEnv)
		if !ok || v == "" {
			return "", fmt.Errorf("credit_source.password_env: the variable %s is not set", c.PasswordEnv)
		}
		return v, nil
	case c.PasswordFile != "":
		path := c.PasswordFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(string(home), path)
		}
		st, err := os.Stat(path)
		if err != nil {
			return "", fmt.Errorf("credit_source.password_file: %w", err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("credit_source.password_file: %s has mode %04o: group and others must not read it (chmod 600 %s)", path, st.Mode().Perm(), path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("credit_source.password_file: %w", err)
		}
		pw, _, _ := strings.Cut(string(data), "\n")
		pw = strings.TrimRight(pw, "\r")
		if pw == "" {
			return "", fmt.Errorf("credit_source.password_file: %s is empty", path)
		}
		return pw, nil
	}
	return "", nil
}
