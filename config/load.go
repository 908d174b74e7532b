package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Load reads the configuration of a peer: Default, then the file at path,
// then the CREDMESH_* environment variables (ApplyEnv), then Validate. A
// file that group or others may write, or read while it holds api.token,
// is refused with an error wrapping ErrPermissions.
// Command-line flags are the caller's to apply after Load, followed by
// another Validate. Errors are *FieldError values naming path (or the
// environment variable) and the field, with line and column for mistakes
// in the file; keys the file should not have are refused.
func Load(path string) (Config, error) {
	data, perm, err := readConfigFile(path)
	if err != nil {
		return Config{}, err
	}
	c := Default()
	if err := decodeTOML(path, data, &c); err != nil {
		return Config{}, err
	}
	if err := checkConfigMode(path, perm, &c); err != nil {
		return Config{}, err
	}
	fromEnv, err := applyEnv(&c, os.Environ())
	if err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, Sources(fromEnv).Blame(err, path)
	}
	return c, nil
}

// decodeTOML decodes data over c, refusing unknown keys.
func decodeTOML(file string, data []byte, c *Config) error {
	err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(c)
	if err == nil {
		return nil
	}
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		errs := make([]error, 0, len(strict.Errors))
		for i := range strict.Errors {
			de := &strict.Errors[i]
			line, col := de.Position()
			key := []string(de.Key())
			msg := "unknown key"
			if len(key) == 0 {
				key = []string{""}
			}
			if known := knownKeys(reflect.TypeFor[Config](), key[:len(key)-1]); len(known) > 0 {
				msg += " (known here: " + strings.Join(known, ", ") + ")"
			}
			errs = append(errs, &FieldError{File: file, Field: strings.Join(key, "."), Line: line, Column: col, Msg: msg, Err: de})
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		return &FieldError{File: file, Field: strings.Join(de.Key(), "."), Line: line, Column: col,
			Msg: tomlMessage(de), Err: de}
	}
	return &FieldError{File: file, Msg: err.Error(), Err: err}
}

// tomlMismatch matches go-toml's message for a value of the wrong type.
var tomlMismatch = regexp.MustCompile(`^cannot decode TOML (.+?) into .*?(?:of type )?(\S+)$`)

// tomlMessage words a decode error for an operator: the Go types behind a
// type mismatch become TOML ones.
func tomlMessage(de *toml.DecodeError) string {
	msg := strings.TrimPrefix(de.Error(), "toml: ")
	if m := tomlMismatch.FindStringSubmatch(msg); m != nil {
		want := map[string]string{"int": "an integer", "string": "a string", "[]string": "an array of strings"}[m[2]]
		switch {
		case want != "":
		case strings.Contains(m[2], "."): // a Go struct: a section
			want = "a table"
		default:
			want = "a " + m[2]
		}
		return fmt.Sprintf("a TOML %s where %s is expected", m[1], want)
	}
	if len(de.Key()) == 0 {
		return "TOML syntax: " + msg
	}
	return msg
}

// knownKeys lists the toml keys of the table at path inside t.
func knownKeys(t reflect.Type, path []string) []string {
	for _, name := range path {
		f, ok := fieldByTag(t, name)
		if !ok || f.Type.Kind() != reflect.Struct {
			return nil
		}
		t = f.Type
	}
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		if tag := tomlKey(t.Field(i)); tag != "" {
			keys = append(keys, tag)
		}
	}
	return keys
}

func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		if tomlKey(t.Field(i)) == key {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

// tomlKey returns the key of a struct field in the file, or "" for a field
// the file does not hold.
func tomlKey(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return f.Name
	}
	return name
}

const fileHeader = `# credmesh peer configuration.
#
# Precedence: built-in defaults < this file < CREDMESH_<SECTION>_<KEY>
# environment variables (lists comma-separated) < command-line flags.
# Unknown keys are refused. Keep this file private if it holds api.token.

`

// WriteFile validates c and writes it to path as TOML with a comment header
// and a comment per key, atomically (see the package doc), with mode 0600
// since it may hold the API token. An existing file is replaced.
func (c Config) WriteFile(path string) error {
	data, err := c.encode(path)
	if err != nil {
		return err
	}
	return writeAtomic(path, data, 0o600)
}

func (c Config) encode(path string) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, withFile(err, path)
	}
	var buf bytes.Buffer
	buf.WriteString(fileHeader)
	if err := toml.NewEncoder(&buf).Encode(c); err != nil {
		return nil, fmt.Errorf("config: encoding %s: %w", path, err)
	}
	return buf.Bytes(), nil
}
