package records

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
)

// csvReader reads CSV records as RFC 4180 writes them: a quoted field may
// hold commas, doubled quotes and line breaks. A quote left open is not
// allowed to swallow the rest of the file: a record ends within
// MaxLineBytes, so an unbalanced quote refuses the line it is on and the
// lines after it are read as records of their own.
type csvReader struct {
	lr      *lineReader
	header  []string
	setters []func(*Record, string) error
	has     map[string]bool
}

// required columns: every record needs them, so a header without one
// fails the file before anything is sent.
var requiredColumns = []string{"type", "amount_minor", "currency"}

func newCSVReader(lr *lineReader) (*csvReader, error) {
	c := &csvReader{lr: lr, has: map[string]bool{}}
	num, text, err := c.record()
	if err == io.EOF {
		return c, nil
	}
	if err != nil {
		if le, ok := err.(*lineError); ok {
			return nil, fmt.Errorf("line %d (the header): %s", le.num, le.msg)
		}
		return nil, err
	}
	names, ferr := splitCSV(text)
	if ferr != nil {
		return nil, fmt.Errorf("line %d (the header): column %d: %s", num, ferr.field+1, ferr.msg)
	}
	seen := map[string]int{}
	for i, name := range names {
		name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
		set, ok := csvColumns[name]
		if !ok {
			return nil, fmt.Errorf("line %d, column %d: unknown column %q; the columns are %s", num, i+1, name, strings.Join(columnNames(), ", "))
		}
		if j, dup := seen[name]; dup {
			return nil, fmt.Errorf("line %d: column %q appears twice (columns %d and %d); name each column once", num, name, j+1, i+1)
		}
		seen[name] = i
		c.header = append(c.header, name)
		c.setters = append(c.setters, set)
		c.has[name] = true
	}
	for _, name := range requiredColumns {
		if !c.has[name] {
			return nil, fmt.Errorf("line %d: the header has no %s column; every record needs one (header example: %s)", num, name, HeaderExample)
		}
	}
	return c, nil
}

// HeaderExample is a CSV header of a payments file.
const HeaderExample = "type,order_id,payer_kind,payer_id,category,amount_minor,currency,period,paid_at,channel,region"

func columnNames() []string {
	out := make([]string, 0, len(csvColumns))
	for k := range csvColumns {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// lineError is a line refused as a whole.
type lineError struct {
	num int
	msg string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.num, e.msg) }

// record returns the text of the next non-blank record and the number of
// its first line; a *lineError refuses one line, io.EOF ends the file.
func (c *csvReader) record() (int, []byte, error) {
	var first physLine
	for {
		l, err := c.lr.next()
		if err != nil {
			return 0, nil, err
		}
		if l.long {
			return l.num, nil, &lineError{l.num, fmt.Sprintf("the line is %d bytes, over the limit of %d; is a field too long?", l.size, MaxLineBytes)}
		}
		if len(bytes.TrimSpace(l.text)) > 0 {
			first = l
			break
		}
	}
	text := first.text
	if !quoteOpen(text, false) {
		return first.num, text, nil
	}
	// A quoted field goes on to the next line: join lines until the quotes
	// balance, within MaxLineBytes.
	text = append([]byte(nil), text...)
	var taken []physLine
	for {
		l, err := c.lr.next()
		if err != nil && err != io.EOF {
			return 0, nil, err
		}
		if err == io.EOF || l.long || len(text)+1+len(l.text) > MaxLineBytes {
			if err == nil {
				taken = append(taken, l)
			}
			c.lr.unread(taken)
			return first.num, nil, &lineError{first.num, `a quote (") opened on this line is not closed; the lines after it are read as records of their own (a quote inside a field is written twice: "a ""b"" c")`}
		}
		taken = append(taken, l)
		text = append(append(text, '\n'), l.text...)
		if !quoteOpen(l.text, true) {
			return first.num, text, nil
		}
	}
}

// quoteOpen reports whether a quoted field is still open at the end of
// line, which starts inside one when open is set. Only a quote that begins
// a field opens one; a stray quote elsewhere is splitCSV's to refuse.
func quoteOpen(line []byte, open bool) bool {
	if bytes.IndexByte(line, '"') < 0 {
		return open
	}
	start := !open
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case open && c == '"' && i+1 < len(line) && line[i+1] == '"':
			i++
		case open && c == '"':
			open = false
		case !open && start && c == '"':
			open = true
		}
		start = !open && c == ','
	}
	return open
}

// fieldError is a CSV syntax error in one field (index from 0).
type fieldError struct {
	field int
	msg   string
}

// splitCSV splits one record into its fields.
func splitCSV(text []byte) ([]string, *fieldError) {
	out := make([]string, 0, 1+bytes.Count(text, []byte{','}))
	i := 0
	for {
		n := len(out)
		if i < len(text) && text[i] == '"' {
			var b strings.Builder
			i++
			for {
				j := bytes.IndexByte(text[i:], '"')
				if j < 0 {
					return nil, &fieldError{n, `a quoted value is not closed`}
				}
				b.Write(text[i : i+j])
				i += j + 1
				if i < len(text) && text[i] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			out = append(out, b.String())
			if i == len(text) {
				return out, nil
			}
			if text[i] != ',' {
				return nil, &fieldError{n, fmt.Sprintf(`%q follows the closing quote; a quote inside a field is written twice: "a ""b"" c"`, text[i])}
			}
			i++
			continue
		}
		j := bytes.IndexByte(text[i:], ',')
		end := len(text)
		if j >= 0 {
			end = i + j
		}
		v := text[i:end]
		if q := bytes.IndexByte(v, '"'); q >= 0 {
			return nil, &fieldError{n, fmt.Sprintf(`a quote (") at position %d of an unquoted value; quote the whole value and write the quote twice: "a ""b"" c"`, q+1)}
		}
		out = append(out, string(v))
		if j < 0 {
			return out, nil
		}
		i = end + 1
	}
}

// next returns the next line of the file.
func (c *csvReader) next() (Line, error) {
	num, text, err := c.record()
	if err != nil {
		if le, ok := err.(*lineError); ok {
			return Line{Num: le.num, Err: fmt.Errorf("%w: %s", ErrInvalid, le.msg)}, nil
		}
		return Line{}, err
	}
	l := Line{Num: num}
	row, ferr := splitCSV(text)
	if ferr != nil {
		col := fmt.Sprintf("column %d", ferr.field+1)
		if ferr.field < len(c.header) {
			col = c.header[ferr.field]
		}
		l.Err = fmt.Errorf("%w: %s: %s", ErrInvalid, col, ferr.msg)
		return l, nil
	}
	if len(row) != len(c.header) {
		l.Err = fmt.Errorf("%w: %d fields, the header has %d (%s)", ErrInvalid, len(row), len(c.header), strings.Join(c.header, ","))
		return l, nil
	}
	for i, v := range row {
		if err := c.setters[i](&l.Record, strings.TrimSpace(v)); err != nil {
			l.Err = invalid(c.header[i], "%v", err)
			return l, nil
		}
	}
	l.Err = c.requireNumbers(&l.Record, row)
	return l, nil
}

// requireNumbers refuses a record whose amounts are missing: an empty cell
// or a missing column is not 0.
func (c *csvReader) requireNumbers(r *Record, row []string) error {
	for _, name := range requiredNumbers(r.Type) {
		if !c.has[name] {
			return invalid(name, "required for a %s; the header has no %s column", typeName(r.Type), name)
		}
		for i, h := range c.header {
			if h == name && strings.TrimSpace(row[i]) == "" {
				return invalid(name, "required; the cell is empty (write 0 for zero)")
			}
		}
	}
	return nil
}

// requiredNumbers are the numeric fields a record of type t must give:
// left out they would read as 0.
func requiredNumbers(t string) []string {
	if t == TypeCreditEvent {
		return []string{"amount_minor", "outstanding_minor"}
	}
	return []string{"amount_minor"}
}

func typeName(t string) string {
	if t == TypeCreditEvent {
		return "credit event"
	}
	return "record"
}
