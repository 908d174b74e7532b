package config

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels, compared with errors.Is.
var (
	// ErrInvalid is wrapped by every error that reports a bad value in
	// config.toml, genesis.json, a key or secret file, or the environment.
	ErrInvalid = errors.New("config: invalid")
	// ErrPermissions is wrapped when a key or secret file can be read by
	// anyone other than its owner, or config.toml can be written by anyone
	// other than its owner (or read, while it holds api.token).
	ErrPermissions = errors.New("config: file permissions too open")
)

// FieldError reports one bad value: the file it was read from, the field
// path inside it (api.token, members[2].id) and, when the decoder knew it,
// the position. It unwraps to ErrInvalid and to the underlying cause.
type FieldError struct {
	// File is the path the value was read from, or the conventional file
	// name (config.toml, genesis.json) when the value was checked in
	// memory, or "environment" for an environment variable.
	File string
	// Field is the dotted path of the field, or the variable name; empty
	// when the error concerns the whole file.
	Field string
	// Line and Column are 1-based; zero when unknown.
	Line, Column int
	// Msg says what is wrong, in words an operator can act on.
	Msg string
	// Err is the underlying cause, if any.
	Err error
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns ErrInvalid and the cause.
func (e *FieldError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrInvalid}
	}
	return []error{ErrInvalid, e.Err}
}

func fieldErr(file, field, format string, args ...any) *FieldError {
	return &FieldError{File: file, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// withFile sets the File of every FieldError in err to file and returns
// err. Validate names the conventional file; Load knows the real path.
func withFile(err error, file string) error {
	visitFieldErrors(err, func(fe *FieldError) { fe.File = file })
	return err
}

// visitFieldErrors calls f on every FieldError in err, looking through
// errors.Join.
func visitFieldErrors(err error, f func(*FieldError)) {
	if fe, ok := err.(*FieldError); ok {
		f(fe)
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			visitFieldErrors(e, f)
		}
	}
}
