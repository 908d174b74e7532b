package records

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Line is one parsed line of an input file: its record, or why it could not
// be read. Num counts from 1, the header of a CSV file included; a record
// whose quoted field spans lines has the number of its first line.
type Line struct {
	Num    int
	Record Record
	Err    error
}

// MaxLineBytes bounds one record of input: a longer line (or a CSV record
// whose quotes do not close within it) is refused on its own, and the file
// goes on.
const MaxLineBytes = 64 << 10

// Scanner reads a file's records one line at a time, holding at most one
// record's bytes: a file of any size streams through it.
type Scanner struct {
	lr   *lineReader
	csv  *csvReader
	line Line
	err  error
}

// NewScanner reads CSV (when name ends in .csv) or JSON lines from r. For
// CSV it reads the header at once: an unknown, duplicated or missing
// required column is an error of the whole file, before any line.
func NewScanner(name string, r io.Reader) (*Scanner, error) {
	s := &Scanner{lr: newLineReader(r)}
	if strings.HasSuffix(strings.ToLower(name), ".csv") {
		c, err := newCSVReader(s.lr)
		if err != nil {
			return nil, err
		}
		s.csv = c
	}
	return s, nil
}

// Scan advances to the next line; false at the end of the file or on a
// read error (see Err).
func (s *Scanner) Scan() bool {
	if s.err != nil {
		return false
	}
	var err error
	if s.csv != nil {
		if s.csv.header == nil {
			return false // an empty file
		}
		s.line, err = s.csv.next()
	} else {
		s.line, err = nextJSONLine(s.lr)
	}
	if err != nil {
		if err != io.EOF {
			s.err = fmt.Errorf("reading line %d: %w", s.lr.num+1, err)
		}
		return false
	}
	return true
}

// Line is the line Scan read.
func (s *Scanner) Line() Line { return s.line }

// Err is the read error that ended Scan, if any.
func (s *Scanner) Err() error { return s.err }

// Offset is how many bytes of the file have been read.
func (s *Scanner) Offset() int64 { return s.lr.off }

// ParseFile reads a whole CSV or JSON lines file (see NewScanner).
func ParseFile(name string, r io.Reader) ([]Line, error) {
	s, err := NewScanner(name, r)
	if err != nil {
		return nil, err
	}
	var out []Line
	for s.Scan() {
		out = append(out, s.Line())
	}
	return out, s.Err()
}

// ParseJSONLines reads one JSON record per line; blank lines and lines
// starting with # are skipped. Every fault is an error of its line.
func ParseJSONLines(r io.Reader) ([]Line, error) { return ParseFile("", r) }

// ParseCSV reads a CSV file whose first row names the columns. A bad
// header fails the whole file (nothing is half-read); a bad record fails
// its line.
func ParseCSV(r io.Reader) ([]Line, error) { return ParseFile(".csv", r) }

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
	"amount_minor":      func(r *Record, v string) error { return parseMinor(&r.AmountMinor, v) },
	"outstanding_minor": func(r *Record, v string) error { return parseMinor(&r.OutstandingMinor, v) },
	"days_overdue": func(r *Record, v string) error {
		if v == "" {
			return nil
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n > 1<<31 {
			return fmt.Errorf("%q is not a whole number of days", v)
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

// parseMinor reads an amount in minor units; an empty cell is left for
// requireNumbers to refuse.
func parseMinor(dst *uint64, v string) error {
	if v == "" {
		return nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err == nil {
		*dst = n
		return nil
	}
	if errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("%s is too large", v)
	}
	if strings.Contains(v, ".") {
		return fmt.Errorf("%q is not a whole number: amounts are in minor units (fen), so 12.50 yuan is 1250", v)
	}
	return fmt.Errorf("%q is not a whole number of minor units, 0 or more (e.g. 123456 for 1234.56 yuan)", v)
}
