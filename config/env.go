package config

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// EnvPrefix starts the name of every environment variable that overrides a
// config key.
const EnvPrefix = "CREDMESH_"

// EnvVar returns the environment variable of a dotted config key:
// "api.listen" → CREDMESH_API_LISTEN, "name" → CREDMESH_NAME.
func EnvVar(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// EnvVars returns every config key with its environment variable, in file
// order, for help texts.
func EnvVars() [][2]string {
	var out [][2]string
	c := Default()
	walkKeys(reflect.ValueOf(&c).Elem(), "", func(key string, _ reflect.Value) {
		out = append(out, [2]string{key, EnvVar(key)})
	})
	return out
}

// ApplyEnv overrides fields of c from environ (a list of KEY=value, as from
// os.Environ): the variable of each key is EnvVar(key). Strings are taken as
// they are; integers in decimal; lists comma-separated, blanks around items
// trimmed, and an empty value is an empty list. Variables with the prefix
// that name no key are ignored, since the command may use others (such as
// the home directory). If a variable appears twice the first counts, as
// with os.Getenv. A value that does not parse is refused with a
// *FieldError naming the variable; range checks are Validate's.
//
// The fields are found by walking the toml tags of Config, so a new key is
// overridable without a change here. Command-line flags are applied by the
// caller after Load.
func ApplyEnv(c *Config, environ []string) error {
	_, err := applyEnv(c, environ)
	return err
}

// applyEnv is ApplyEnv that also returns the keys it set, each with the
// variable that set it.
func applyEnv(c *Config, environ []string) (map[string]string, error) {
	vars := make(map[string]string)
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, EnvPrefix) {
			continue
		}
		if _, seen := vars[k]; !seen {
			vars[k] = v
		}
	}
	set := make(map[string]string)
	var errs []error
	walkKeys(reflect.ValueOf(c).Elem(), "", func(key string, f reflect.Value) {
		name := EnvVar(key)
		val, ok := vars[name]
		if !ok {
			return
		}
		if msg := setField(f, val); msg != "" {
			errs = append(errs, &FieldError{File: "environment", Field: name, Msg: msg + " (for " + key + ")"})
			return
		}
		set[key] = name
	})
	return set, errors.Join(errs...)
}

// walkKeys calls f for every leaf field under v with its dotted key;
// sections (structs) are walked into.
func walkKeys(v reflect.Value, prefix string, f func(key string, field reflect.Value)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name := tomlKey(t.Field(i))
		if name == "" {
			continue
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct {
			walkKeys(fv, key, f)
			continue
		}
		f(key, fv)
	}
}

// setField parses s into f; it returns what is wrong, or "".
func setField(f reflect.Value, s string) string {
	if u, ok := f.Addr().Interface().(encoding.TextUnmarshaler); ok {
		if err := u.UnmarshalText([]byte(strings.TrimSpace(s))); err != nil {
			return err.Error()
		}
		return ""
	}
	switch {
	case f.Kind() == reflect.String:
		f.SetString(s)
	case f.Kind() == reflect.Int:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 0)
		if err != nil {
			return fmt.Sprintf("%q is not an integer", s)
		}
		f.SetInt(n)
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
		items := []string{}
		for _, item := range strings.Split(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		f.Set(reflect.ValueOf(items).Convert(f.Type()))
	default:
		// A new kind of field in Config needs a case here; the tests
		// walk every field, so this is caught before release.
		return fmt.Sprintf("fields of type %s cannot be set from the environment", f.Type())
	}
	return ""
}
