package records

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
)

// nextJSONLine reads the next record of a JSON lines file: one object per
// line, blank lines and lines starting with # skipped.
func nextJSONLine(lr *lineReader) (Line, error) {
	for {
		pl, err := lr.next()
		if err != nil {
			return Line{}, err
		}
		l := Line{Num: pl.num}
		if pl.long {
			l.Err = fmt.Errorf("%w: the line is %d bytes, over the limit of %d; one record per line, is a field too long?", ErrInvalid, pl.size, MaxLineBytes)
			return l, nil
		}
		text := bytes.TrimSpace(pl.text)
		if len(text) == 0 || text[0] == '#' {
			continue
		}
		l.Record, l.Err = decodeJSONRecord(text)
		return l, nil
	}
}

// decodeJSONRecord reads one record object. Unknown fields, a second value
// on the line, null or a missing amount are errors: nothing is read as 0
// that the line did not say.
func decodeJSONRecord(text []byte) (Record, error) {
	var rec Record
	if text[0] != '{' {
		what := "this"
		if bytes.HasPrefix(text, []byte("null")) {
			what = "null"
		}
		return rec, fmt.Errorf("%w: %s is not a record; each line is one JSON object: {\"type\": \"payment\", ...}", ErrInvalid, what)
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return rec, jsonError(err)
	}
	if rest := bytes.TrimSpace(text[dec.InputOffset():]); len(rest) > 0 {
		return rec, fmt.Errorf("%w: a second JSON value starts at column %d; write one record per line", ErrInvalid, len(text)-len(rest)+1)
	}
	dec = json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return Record{}, jsonError(err)
	}
	for _, name := range requiredNumbers(rec.Type) {
		v, ok := raw[name]
		switch {
		case !ok:
			return Record{}, invalid(name, "required for a %s (write 0 for zero)", typeName(rec.Type))
		case string(v) == "null":
			return Record{}, invalid(name, "null is not an amount; write a whole number of minor units (0 for zero)")
		}
	}
	for name, v := range raw {
		if string(v) == "null" && (name == "type" || name == "currency") {
			return Record{}, invalid(name, "required; null is not a value")
		}
	}
	return rec, nil
}

// jsonError says what encoding/json found in the user's words: the field
// and what it wants, never a Go type.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return fmt.Errorf("%w: each line is one JSON object: {\"type\": \"payment\", ...}", ErrInvalid)
		}
		got := te.Value
		if strings.HasPrefix(field, "payer") || strings.HasPrefix(field, "subject") {
			got = strings.Fields(got)[0] // never quote a subject's ID
		} else {
			got = strings.TrimPrefix(got, "number ")
		}
		return invalid(field, "%s where %s is wanted", got, wanted(field, te.Type))
	case errors.As(err, &se):
		return fmt.Errorf("%w: not valid JSON at column %d: %s", ErrInvalid, se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%w: the JSON object is not closed (a } missing?)", ErrInvalid)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return fmt.Errorf("%w: %s: unknown field; the fields are %s", ErrInvalid, strings.Trim(name, `"`), strings.Join(jsonFields(), ", "))
	}
	return fmt.Errorf("%w: %s", ErrInvalid, msg)
}

// wanted describes the JSON a field takes.
func wanted(field string, t reflect.Type) string {
	switch field {
	case "amount_minor", "outstanding_minor":
		return "a whole number of minor units, 0 or more, without quotes (e.g. 123456)"
	case "days_overdue":
		return "a whole number of days, without quotes"
	case "payer", "subject":
		return `an object {"kind": "cn-rid", "id": "..."}`
	}
	switch t.Kind() {
	case reflect.String:
		return "a string in double quotes"
	case reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	}
	return "an object"
}

// jsonFields lists the fields of a record object.
func jsonFields() []string {
	var out []string
	t := reflect.TypeFor[Record]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
