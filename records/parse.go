package records

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Line is one parsed line of an input file: its record, or why it could not
// be read. Num counts from 1, the header of a CSV file included.
type Line struct {
	Num    int
	Record Record
	Err    error
}

// MaxLineBytes bounds one line of input.
const MaxLineBytes = 64 << 10

// ParseFile reads CSV (when name ends in .csv) or JSON lines.
func ParseFile(name string, r io.Reader) ([]Line, error) {
	if strings.HasSuffix(strings.ToLower(name), ".csv") {
		return ParseCSV(r)
	}
	return ParseJSONLines(r)
}

// ParseJSONLines reads one JSON record per line; blank lines and lines
// starting with # are skipped. Unknown fields are an error of that line.
func ParseJSONLines(r io.Reader) ([]Line, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), MaxLineBytes)
	var out []Line
	for n := 1; sc.Scan(); n++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 || text[0] == '#' {
			continue
		}
		l := Line{Num: n}
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l.Record); err != nil {
			l.Err = fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("reading line %d: %w", len(out)+1, err)
	}
	return out, nil
}

// csvColumns maps a CSV column to a field setter.
var csvColumns = map[string]func(*Record, string) error{
	"type":              func(r *Record, v string) error { r.Type = v; return nil },
	"order_id":          func(r *Record, v string) error { r.OrderID = v; return nil },
	"payer_kind":        func(r *Record, v string) error { subj(&r.Payer).Kind = v; return nil },
	"payer_id":          func(r *Record, v string) error { subj(&r.Payer).ID = v; return nil },
	"category":          func(r *Record, v string) error { r.Category = v; return nil },
	"period":            func(r *Record, v string) error { r.Period = v; return nil },
	"paid_at":           func(r *Record, v string) error { r.PaidAt = v; return nil },
	"channel":           func(r *Record, v string) error { r.Channel = v; return nil },
	"region":            func(r *Record, v string) error { r.Region = v; return nil },
	"item":              func(r *Record, v string) error { r.Item = v; return nil },
	"receipt_no":        func(r *Record, v string) error { r.ReceiptNo = v; return nil },
	"event_id":          func(r *Record, v string) error { r.EventID = v; return nil },
	"subject_kind":      func(r *Record, v string) error { subj(&r.Subject).Kind = v; return nil },
	"subject_id":        func(r *Record, v string) error { subj(&r.Subject).ID = v; return nil },
	"account_id":        func(r *Record, v string) error { r.AccountID = v; return nil },
	"kind":              func(r *Record, v string) error { r.Kind = v; return nil },
	"occurred_at":       func(r *Record, v string) error { r.OccurredAt = v; return nil },
	"expires_at":        func(r *Record, v string) error { r.ExpiresAt = v; return nil },
	"currency":          func(r *Record, v string) error { r.Currency = v; return nil },
	"amount_minor":      func(r *Record, v string) error { return parseUint(&r.AmountMinor, v) },
	"outstanding_minor": func(r *Record, v string) error { return parseUint(&r.OutstandingMinor, v) },
	"days_overdue": func(r *Record, v string) error {
		var n uint64
		if err := parseUint(&n, v); err != nil || n > 1<<31 {
			return errors.New("not a whole number of days")
		}
		r.DaysOverdue = uint32(n)
		return nil
	},
}

func subj(s **Subject) *Subject {
	if *s == nil {
		*s = &Subject{}
	}
	return *s
}

func parseUint(dst *uint64, v string) error {
	if v == "" {
		*dst = 0
		return nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return errors.New("not a non-negative whole number")
	}
	*dst = n
	return nil
}

// ParseCSV reads a CSV file whose first row names the columns. An unknown
// column fails the whole file (nothing is half-read); a bad cell fails its
// line.
func ParseCSV(r io.Reader) ([]Line, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("line 1: %w", err)
	}
	setters := make([]func(*Record, string) error, len(header))
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
		set, ok := csvColumns[name]
		if !ok {
			return nil, fmt.Errorf("line 1, column %d: unknown column %q", i+1, name)
		}
		setters[i] = set
		header[i] = name
	}
	var out []Line
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		line, _ := cr.FieldPos(0)
		l := Line{Num: line}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err == csv.ErrFieldCount {
				l.Err = fmt.Errorf("%w: %d fields, the header has %d", ErrInvalid, len(row), len(header))
				out = append(out, l)
				continue
			}
			return out, fmt.Errorf("line %d: %w", line, err)
		}
		for i, v := range row {
			if err := setters[i](&l.Record, strings.TrimSpace(v)); err != nil {
				l.Err = invalid(header[i], "%v", err)
				break
			}
		}
		out = append(out, l)
	}
}
