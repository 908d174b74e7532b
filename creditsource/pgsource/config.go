package pgsource

import (
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/creditsource"
)

// DefaultView is the view read when no query is configured.
const DefaultView = "credmesh_accounts"

// Defaults and bounds.
const (
	DefaultMaxConns     = 4
	MaxMaxConns         = 64
	DefaultQueryTimeout = 2 * time.Second
	DefaultIndexRefresh = time.Minute
	MinIndexRefresh     = time.Second
)

// Config configures a Source.
type Config struct {
	// DSN is the libpq connection string or URL, without a password.
	DSN string
	// Password is the database password (read by the caller from a file
	// or an environment variable); "" for none. It is never logged.
	Password string
	// View is the view or table read when Query is empty (default
	// DefaultView). A plain or schema-qualified identifier.
	View string
	// Query and SubjectsQuery replace View (see doc.go); both or neither.
	Query, SubjectsQuery string
	// MaxConns bounds the pool: 1 to MaxMaxConns (default 4).
	MaxConns int
	// QueryTimeout caps one credit query's statement (default 2 s).
	QueryTimeout time.Duration
	// IndexRefresh is how often the subject index is rebuilt (default
	// 1 min, at least MinIndexRefresh).
	IndexRefresh time.Duration

	// NetworkID, Issuer and Secret make the events exactly as credit
	// import would: the network, this member, the members' secret.
	NetworkID string
	Issuer    chain.IssuerID
	Secret    []byte
	Logger    *slog.Logger
	Now       func() time.Time

	argOrder []string // the named parameters of Query, in $-order
}

var (
	identifier  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$`)
	dsnPassword = regexp.MustCompile(`(?i)(^|\s)password\s*=|^postgres(ql)?://[^/@]*:[^/@]*@`)
)

func (c *Config) setDefaults() {
	if c.View == "" && c.Query == "" {
		c.View = DefaultView
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.QueryTimeout == 0 {
		c.QueryTimeout = DefaultQueryTimeout
	}
	if c.IndexRefresh == 0 {
		c.IndexRefresh = DefaultIndexRefresh
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// validate checks the fields that need no database.
func (c *Config) validate() error {
	switch {
	case c.DSN == "":
		return fmt.Errorf("%w: dsn is required", creditsource.ErrMapping)
	case dsnPassword.MatchString(c.DSN):
		return fmt.Errorf("%w: dsn must not hold the password: put it in password_file or the variable password_env names", creditsource.ErrMapping)
	case c.Query != "" && c.View != "":
		return fmt.Errorf("%w: view and query are exclusive", creditsource.ErrMapping)
	case (c.Query == "") != (c.SubjectsQuery == ""):
		return fmt.Errorf("%w: query and subjects_query go together", creditsource.ErrMapping)
	case c.View != "" && !identifier.MatchString(c.View):
		return fmt.Errorf("%w: view %q is not an identifier (name or schema.name)", creditsource.ErrMapping, c.View)
	case c.MaxConns < 1 || c.MaxConns > MaxMaxConns:
		return fmt.Errorf("%w: max_conns %d is outside 1..%d", creditsource.ErrMapping, c.MaxConns, MaxMaxConns)
	case c.QueryTimeout <= 0:
		return fmt.Errorf("%w: query_timeout must be positive", creditsource.ErrMapping)
	case c.IndexRefresh < MinIndexRefresh:
		return fmt.Errorf("%w: index_refresh %s is below %s", creditsource.ErrMapping, c.IndexRefresh, MinIndexRefresh)
	case len(c.Secret) == 0:
		return fmt.Errorf("%w: the members' subject secret is required", creditsource.ErrMapping)
	}
	return nil
}
