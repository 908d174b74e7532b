package pgsource

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/credmesh/credmesh/creditsource"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// Column kinds a mapping's result may have.
type colType int

const (
	textCol colType = iota
	intCol
	timeCol
)

// column is one column of the mapping.
type column struct {
	name     string
	typ      colType
	optional bool // may be missing from the result altogether
}

// columns are the mapping's columns, in the order rows are scanned.
var columns = []column{
	{"subject_kind", textCol, true},
	{"subject_id", textCol, false},
	{"account_id", textCol, false},
	{"status", textCol, false},
	{"amount_minor", intCol, false},
	{"outstanding_minor", intCol, false},
	{"currency", textCol, false},
	{"as_of", timeCol, false},
	{"days_overdue", intCol, true},
	{"event_id", textCol, true},
	{"expires_at", timeCol, true},
}

// Indexes into columns.
const (
	colSubjectKind = iota
	colSubjectID
	colAccountID
	colStatus
	colAmount
	colOutstanding
	colCurrency
	colAsOf
	colDaysOverdue
	colEventID
	colExpiresAt
)

// accepted are the PostgreSQL types each column kind may have.
var accepted = map[colType][]uint32{
	textCol: {pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID},
	intCol:  {pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.NumericOID},
	timeCol: {pgtype.TimestamptzOID, pgtype.TimestampOID, pgtype.DateOID},
}

var typeNames = map[colType]string{
	textCol: "text", intCol: "an integer type (smallint, integer, bigint, numeric)", timeCol: "timestamptz, timestamp or date",
}

// mapping is a checked mapping: the two statements and where each column
// sits in the rows of accountsSQL.
type mapping struct {
	accountsSQL string // parameters: args names them in order
	args        []string
	subjectsSQL string // columns subject_kind, subject_id
	scanSQL     string // a view's every row, columns as in accountsSQL ("" for a query)
	positions   []int  // columns[i] is result column positions[i], or -1
}

// params are the named parameters a Query may use, in $-order.
var params = []string{"subject_kind", "subject_id"}

var namedParam = regexp.MustCompile(`@([A-Za-z_][A-Za-z0-9_]*)`)

// statements returns a Query mapping's two statements, named parameters
// turned into positional ones; for a view, the statement that shows its
// columns (describe builds the others from them).
func (c *Config) statements() (accounts, subjects string, err error) {
	if c.Query == "" {
		return "SELECT * FROM " + c.View, "", nil
	}
	var bad, used []string
	accounts = namedParam.ReplaceAllStringFunc(c.Query, func(m string) string {
		if !slices.Contains(params, m[1:]) {
			bad = append(bad, m)
			return m
		}
		i := slices.Index(used, m[1:])
		if i < 0 {
			used, i = append(used, m[1:]), len(used)
		}
		return fmt.Sprintf("$%d::text", i+1)
	})
	if len(bad) > 0 {
		return "", "", fmt.Errorf("%w: query: unknown parameter %s (known: @subject_kind, @subject_id)", creditsource.ErrMapping, strings.Join(bad, ", "))
	}
	if !slices.Contains(used, "subject_id") {
		return "", "", fmt.Errorf("%w: query must select by @subject_id", creditsource.ErrMapping)
	}
	c.argOrder = used
	if namedParam.MatchString(c.SubjectsQuery) {
		return "", "", fmt.Errorf("%w: subjects_query takes no parameters", creditsource.ErrMapping)
	}
	return accounts, c.SubjectsQuery, nil
}

// viewStatements builds the statements of a view from the columns it
// has: the mapping's columns in their order, optional ones it lacks left
// out.
func viewStatements(view string, has func(string) bool) (accounts, subjects, scan string) {
	var cols []string
	for _, col := range columns {
		if has(col.name) {
			cols = append(cols, col.name)
		}
	}
	kind := "'cn-rid'"
	if has("subject_kind") {
		kind = "coalesce(subject_kind, 'cn-rid')"
	}
	scan = fmt.Sprintf("SELECT %s FROM %s", strings.Join(cols, ", "), view)
	accounts = fmt.Sprintf("%s WHERE %s = $1 AND subject_id = $2", scan, kind)
	subjects = fmt.Sprintf("SELECT DISTINCT %s AS subject_kind, subject_id FROM %s WHERE subject_id IS NOT NULL", kind, view)
	return accounts, subjects, scan
}

// describe checks the mapping against the database without running it:
// both statements parse, every required column is there with a type that
// fits. Its errors wrap creditsource.ErrMapping and name the column.
func describe(ctx context.Context, conn *pgx.Conn, c *Config) (*mapping, error) {
	accounts, subjects, err := c.statements()
	if err != nil {
		return nil, err
	}
	what := "view " + c.View
	if c.Query != "" {
		what = "query"
	}
	sd, err := conn.Prepare(ctx, "", accounts)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", creditsource.ErrMapping, what, err)
	}
	m := &mapping{accountsSQL: accounts, subjectsSQL: subjects, args: c.argOrder, positions: make([]int, len(columns))}
	var problems []string
	for i, col := range columns {
		m.positions[i] = -1
		for j, f := range sd.Fields {
			if f.Name == col.name {
				m.positions[i] = j
				if !slices.Contains(accepted[col.typ], f.DataTypeOID) {
					problems = append(problems, fmt.Sprintf("column %s has type %s, want %s", col.name, typeName(conn, f.DataTypeOID), typeNames[col.typ]))
				}
			}
		}
		if m.positions[i] < 0 && !col.optional {
			problems = append(problems, fmt.Sprintf("column %s (%s) is missing", col.name, typeNames[col.typ]))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s: %s (docs/OPERATIONS.md, Credit data in PostgreSQL)", creditsource.ErrMapping, what, strings.Join(problems, "; "))
	}
	if c.Query == "" {
		has := func(name string) bool {
			return slices.ContainsFunc(sd.Fields, func(f pgconn.FieldDescription) bool { return f.Name == name })
		}
		m.accountsSQL, m.subjectsSQL, m.scanSQL = viewStatements(c.View, has)
		m.args = params
		if sd, err = conn.Prepare(ctx, "", m.accountsSQL); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", creditsource.ErrMapping, what, err)
		}
		m.positions = positions(sd.Fields)
		subjects = m.subjectsSQL
	}
	ssd, err := conn.Prepare(ctx, "", subjects)
	if err != nil {
		return nil, fmt.Errorf("%w: subjects_query: %w", creditsource.ErrMapping, err)
	}
	if len(ssd.Fields) != 2 || ssd.Fields[0].Name != "subject_kind" || ssd.Fields[1].Name != "subject_id" {
		return nil, fmt.Errorf("%w: subjects_query must return exactly the columns subject_kind, subject_id", creditsource.ErrMapping)
	}
	return m, nil
}

// positions finds each column of the mapping among a result's fields.
func positions(fields []pgconn.FieldDescription) []int {
	pos := make([]int, len(columns))
	for i, col := range columns {
		pos[i] = slices.IndexFunc(fields, func(f pgconn.FieldDescription) bool { return f.Name == col.name })
	}
	return pos
}

// typeName names a type by its OID, as far as pgx knows it.
func typeName(conn *pgx.Conn, oid uint32) string {
	if t, ok := conn.TypeMap().TypeForOID(oid); ok {
		return t.Name
	}
	return fmt.Sprintf("OID %d", oid)
}
