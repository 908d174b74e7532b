package config

import (
	"reflect"
	"strings"
)

// Sources says which settings were not taken from config.toml: each dotted
// key (api.listen) with the environment variable (CREDMESH_API_LISTEN) or
// the command-line flag (--api-listen) that set it. Errors about such a
// setting name its source, not the file, so an operator looks in the
// right place.
type Sources map[string]string

// EnvSources returns the keys environ (as from os.Environ) sets, each with
// its variable.
func EnvSources(environ []string) Sources {
	present := make(map[string]bool)
	for _, kv := range environ {
		if k, _, ok := strings.Cut(kv, "="); ok {
			present[k] = true
		}
	}
	s := make(Sources)
	c := Default()
	walkKeys(reflect.ValueOf(&c).Elem(), "", func(key string, _ reflect.Value) {
		if v := EnvVar(key); present[v] {
			s[key] = v
		}
	})
	return s
}

// SetBy records that flag set key (a flag applied after Load).
func (s Sources) SetBy(key, flag string) { s[key] = flag }

// Of describes where the value of key came from, for a message: "set by
// --api-listen", "set by CREDMESH_API_LISTEN", or "from FILE" for a key
// the file or the default set.
func (s Sources) Of(key, file string) string {
	if src, ok := s[key]; ok {
		return "set by " + src
	}
	return "from " + file
}

// Blame rewrites the FieldErrors in err: one about a key with a source in
// s names that source (as "environment: CREDMESH_API_LISTEN (api.listen):
// ..." or "command line: --api-listen (api.listen): ..."), the others name
// file. It returns err.
func (s Sources) Blame(err error, file string) error {
	withFile(err, file)
	visitFieldErrors(err, func(fe *FieldError) {
		field := fe.Field
		if i := strings.IndexByte(field, '['); i >= 0 {
			field = field[:i]
		}
		src, ok := s[field]
		if !ok {
			return
		}
		fe.File = "environment"
		if strings.HasPrefix(src, "-") {
			fe.File = "command line"
		}
		fe.Field = src + " (" + fe.Field + ")"
	})
	return err
}
