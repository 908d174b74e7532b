package config

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// HomeEnv names the home directory for commands given no --home.
const HomeEnv = EnvPrefix + "HOME"

// otherEnvVars are the CREDMESH_ variables that are not config keys.
var otherEnvVars = []string{HomeEnv}

// devEnvPrefixes start the variables of the project's tests and
// simulation tools (CREDMESH_TEST_LOG, CREDMESH_SIM_LONG), which are not
// the peer's and are not reported.
var devEnvPrefixes = []string{EnvPrefix + "TEST_", EnvPrefix + "SIM_", EnvPrefix + "BUILDER_"}

// KnownEnvVars returns every CREDMESH_ variable a command reads: one per
// config key (EnvVar) and CREDMESH_HOME, sorted.
func KnownEnvVars() []string {
	known := slices.Clone(otherEnvVars)
	c := Default()
	walkKeys(reflect.ValueOf(&c).Elem(), "", func(key string, _ reflect.Value) {
		known = append(known, EnvVar(key))
	})
	sort.Strings(known)
	return known
}

// UnknownEnv returns a warning for each variable of environ (as from
// os.Environ) that starts with CREDMESH_ and is no variable credmesh
// reads, naming the closest known one: a misspelt CREDMESH_API_TOKN would
// otherwise be ignored without a word, and the peer would run without
// the token its operator meant to set. The warnings are sorted by name.
func UnknownEnv(environ []string) []string {
	known := KnownEnvVars()
	var out []string
	seen := make(map[string]bool)
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, EnvPrefix) || seen[k] || slices.Contains(known, k) || devEnvVar(k) {
			continue
		}
		seen[k] = true
		out = append(out, fmt.Sprintf("environment variable %s is not one credmesh reads and is ignored (the closest known is %s; `credmesh run --help` lists them)", k, closest(k, known)))
	}
	sort.Strings(out)
	return out
}

func devEnvVar(k string) bool {
	for _, p := range devEnvPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// closest returns the name of names nearest to s by edit distance (the
// first of equals).
func closest(s string, names []string) string {
	best, bestD := "", -1
	for _, n := range names {
		if d := editDistance(s, n); bestD < 0 || d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, in bytes (the
// names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
