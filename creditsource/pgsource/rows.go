package pgsource

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/creditsource"
	"github.com/credmesh/credmesh/records"
	"github.com/jackc/pgx/v5/pgtype"
)

// statuses are the values of the status column: the credit event kinds.
var statuses = []string{"opened", "repaid", "overdue", "defaulted", "closed"}

// badRow is the error of a row that makes no valid event. It names the
// row by position and account, never by subject.
func badRow(row int, account, format string, args ...any) error {
	where := fmt.Sprintf("row %d", row)
	if account != "" {
		where += fmt.Sprintf(" (account %q)", account)
	}
	return fmt.Errorf("%w: %s: %s", creditsource.ErrBadRow, where, fmt.Sprintf(format, args...))
}

// rowReader turns result rows into credit events.
type rowReader struct {
	m   *mapping
	ctx records.Context
}

// event converts row number n (1-based) of a subject's result.
func (r *rowReader) event(vals []any, n int) (*chainpb.Entry, error) {
	get := func(col int) any {
		if p := r.m.positions[col]; p >= 0 && p < len(vals) {
			return vals[p]
		}
		return nil
	}
	var problems []string
	text := func(col int) string {
		switch v := get(col).(type) {
		case string:
			return v
		case nil:
			if !columns[col].optional {
				problems = append(problems, columns[col].name+" is NULL")
			}
		default:
			problems = append(problems, fmt.Sprintf("%s is not text (%T)", columns[col].name, v))
		}
		return ""
	}
	number := func(col int) uint64 {
		v, null, err := integer(get(col))
		switch {
		case null:
			if !columns[col].optional {
				problems = append(problems, columns[col].name+" is NULL")
			}
		case err != nil:
			problems = append(problems, columns[col].name+" "+err.Error())
		case v < 0:
			problems = append(problems, fmt.Sprintf("%s is negative (%d)", columns[col].name, v))
		default:
			return uint64(v)
		}
		return 0
	}
	instant := func(col int) time.Time {
		switch v := get(col).(type) {
		case time.Time:
			return v
		case nil:
			if !columns[col].optional {
				problems = append(problems, columns[col].name+" is NULL")
			}
		default:
			problems = append(problems, fmt.Sprintf("%s is not a finite time (%v)", columns[col].name, v))
		}
		return time.Time{}
	}
	account := text(colAccountID)
	kind := text(colSubjectKind)
	id := text(colSubjectID)
	status := strings.ToLower(strings.TrimSpace(text(colStatus)))
	amount := number(colAmount)
	outstanding := number(colOutstanding)
	currency := text(colCurrency)
	asOf := instant(colAsOf)
	days := number(colDaysOverdue)
	eventID := text(colEventID)
	expires := instant(colExpiresAt)
	if status != "" && !slices.Contains(statuses, status) {
		problems = append(problems, fmt.Sprintf("status %q is not one of %s", text(colStatus), strings.Join(statuses, ", ")))
	}
	if days > math.MaxUint32 {
		problems = append(problems, fmt.Sprintf("days_overdue %d is not plausible", days))
	}
	if len(problems) > 0 {
		return nil, badRow(n, account, "%s", strings.Join(problems, "; "))
	}
	if kind == "" {
		kind = "cn-rid"
	}
	if eventID == "" {
		eventID = account + "@" + asOf.UTC().Format("20060102T150405.000Z")
	}
	rec := records.Record{
		Type: records.TypeCreditEvent, EventID: eventID, Subject: &records.Subject{Kind: kind, ID: id},
		AccountID: account, Kind: status, AmountMinor: amount, OutstandingMinor: outstanding, Currency: currency,
		OccurredAt: asOf.UTC().Format(time.RFC3339Nano), DaysOverdue: uint32(days),
	}
	if status == "overdue" || status == "defaulted" {
		if expires.IsZero() {
			expires = asOf.AddDate(5, 0, 0)
		}
		rec.ExpiresAt = expires.UTC().Format(time.RFC3339Nano)
	}
	e, err := rec.Entry(r.ctx)
	if err != nil {
		return nil, badRow(n, account, "%v", err)
	}
	return e, nil
}

// integer reads an integer column's value.
func integer(v any) (n int64, null bool, err error) {
	switch v := v.(type) {
	case nil:
		return 0, true, nil
	case int16:
		return int64(v), false, nil
	case int32:
		return int64(v), false, nil
	case int64:
		return v, false, nil
	case pgtype.Numeric:
		if !v.Valid {
			return 0, true, nil
		}
		i, err := v.Int64Value()
		if err != nil || !i.Valid {
			return 0, false, fmt.Errorf("is not a whole number in range")
		}
		// Int64Value truncates fractions: refuse them.
		if f, _ := v.Float64Value(); f.Float64 != float64(i.Int64) {
			return 0, false, fmt.Errorf("is not a whole number")
		}
		return i.Int64, false, nil
	}
	return 0, false, fmt.Errorf("is not an integer (%T)", v)
}
