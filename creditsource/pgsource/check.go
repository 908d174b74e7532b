package pgsource

import (
	"context"
	"errors"
	"fmt"

	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/creditsource"
	"github.com/credmesh/credmesh/records"
	"github.com/jackc/pgx/v5"
)

// MaxBadRowsReported bounds the bad rows a check lists; it counts them
// all.
const MaxBadRowsReported = 50

// CheckResult is what Check found: the mapping as the database shows it,
// every row read and the first bad ones named, and, for the subject asked
// about, the answer a credit query would get.
type CheckResult struct {
	// Mapping is "view NAME" or "query".
	Mapping string `json:"mapping"`
	// Columns are the mapping's columns with the type the database gives
	// each, or "missing" for an optional one left out.
	Columns []CheckedColumn `json:"columns"`
	// Subjects is how many subjects the index would hold; UnusableIDs how
	// many distinct IDs are not valid IDs of their kind (never found).
	Subjects    int `json:"subjects"`
	UnusableIDs int `json:"unusable_ids"`
	// Rows is how many rows were read; BadRows names the first
	// MaxBadRowsReported that make no valid credit event (by position and
	// account, never by subject), BadRowCount counts them all.
	Rows        int      `json:"rows"`
	BadRows     []string `json:"bad_rows"`
	BadRowCount int      `json:"bad_row_count"`
	// Subject is the answer for CheckOptions.Subject, when one was asked.
	Subject *SubjectAnswer `json:"subject,omitempty"`
}

// CheckedColumn is one column of the mapping as the database has it.
type CheckedColumn struct {
	Name     string `json:"name"`
	Type     string `json:"type"` // the database's type name, or "missing"
	Optional bool   `json:"optional"`
}

// SubjectAnswer is what the source would answer a credit query on one
// subject: its encoded credit events, or why it would be unavailable.
type SubjectAnswer struct {
	Ref    privacy.Ref `json:"-"`
	Events [][]byte    `json:"-"`
	// Unavailable is the error the query would be answered unavailable
	// with (a bad row of the subject), "" when it would be answered.
	Unavailable string `json:"unavailable,omitempty"`
}

// CheckOptions are what Check asks besides the mapping.
type CheckOptions struct {
	// Subject, when set, is the subject whose answer Check shows.
	Subject *privacy.Ref
}

// OK reports whether the mapping fits and every row makes a valid event.
func (r *CheckResult) OK() bool {
	return r.BadRowCount == 0 && (r.Subject == nil || r.Subject.Unavailable == "")
}

// Check validates cfg's mapping against the database with one read-only
// connection, as `credmesh credit source check` does: it connects (an
// error wrapping creditsource.ErrUnavailable if it cannot), checks the
// columns and their types (creditsource.ErrMapping), lists the subjects,
// reads every row and names the bad ones, and shows the answer for
// opts.Subject. It runs until ctx's deadline; it writes nothing.
func Check(ctx context.Context, cfg Config, opts CheckOptions) (*CheckResult, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if _, _, err := cfg.statements(); err != nil {
		return nil, err
	}
	cc, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("%w: dsn: %w", creditsource.ErrMapping, err)
	}
	if cfg.Password != "" {
		cc.Password = cfg.Password
	}
	cc.RuntimeParams["default_transaction_read_only"] = "on"
	cc.RuntimeParams["application_name"] = "credmesh credit source check"
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		// pgconn's errors name host, user and database, never the password.
		return nil, fmt.Errorf("%w: connecting to PostgreSQL: %w", creditsource.ErrUnavailable, err)
	}
	defer conn.Close(context.Background())

	m, err := describe(ctx, conn, &cfg)
	if err != nil {
		return nil, err
	}
	res := &CheckResult{Mapping: "view " + cfg.View, BadRows: []string{}}
	if cfg.Query != "" {
		res.Mapping = "query"
	}
	if res.Columns, err = checkedColumns(ctx, conn, m); err != nil {
		return nil, err
	}
	ix, err := buildIndex(ctx, conn, m, cfg.Secret)
	if err != nil {
		return nil, err
	}
	res.Subjects, res.UnusableIDs = len(ix.refs), ix.unusable

	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	defer tx.Rollback(context.Background())
	rr := rowReader{m: m, ctx: records.Context{NetworkID: cfg.NetworkID, Issuer: cfg.Issuer, Secret: cfg.Secret, Now: cfg.Now()}}
	if m.scanSQL != "" {
		err = res.checkRows(ctx, tx, rr, m.scanSQL)
	} else {
		for _, ids := range ix.refs {
			for _, id := range ids {
				if err = res.checkRows(ctx, tx, rr, m.accountsSQL, m.argsFor(id)...); err != nil {
					break
				}
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if opts.Subject != nil {
		res.Subject = &SubjectAnswer{Ref: *opts.Subject}
		query := func(id rawID) (pgx.Rows, error) { return tx.Query(ctx, m.accountsSQL, m.argsFor(id)...) }
		evs, err := readSubject(ctx, query, rr, ix.refs[*opts.Subject], *opts.Subject)
		if err == nil {
			res.Subject.Events, err = encode(evs)
		}
		switch {
		case errors.Is(err, creditsource.ErrBadRow):
			res.Subject.Unavailable = err.Error()
		case err != nil:
			return nil, err
		}
	}
	return res, nil
}

// checkRows reads one statement's rows, counting them and naming the bad
// ones.
func (r *CheckResult) checkRows(ctx context.Context, tx pgx.Tx, rr rowReader, sql string, args ...any) error {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return unavailable(ctx, err)
	}
	defer rows.Close()
	for rows.Next() {
		r.Rows++
		vals, err := rows.Values()
		if err != nil {
			return unavailable(ctx, err)
		}
		if _, err := rr.event(vals, r.Rows); err != nil {
			r.BadRowCount++
			if len(r.BadRows) < MaxBadRowsReported {
				r.BadRows = append(r.BadRows, err.Error())
			}
		}
	}
	if err := rows.Err(); err != nil {
		return unavailable(ctx, err)
	}
	return nil
}

// checkedColumns lists the mapping's columns with their database types.
func checkedColumns(ctx context.Context, conn *pgx.Conn, m *mapping) ([]CheckedColumn, error) {
	sd, err := conn.Prepare(ctx, "", m.accountsSQL)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", creditsource.ErrMapping, err)
	}
	out := make([]CheckedColumn, len(columns))
	for i, col := range columns {
		out[i] = CheckedColumn{Name: col.name, Type: "missing", Optional: col.optional}
		if p := m.positions[i]; p >= 0 && p < len(sd.Fields) {
			out[i].Type = typeName(conn, sd.Fields[p].DataTypeOID)
		}
	}
	return out, nil
}
