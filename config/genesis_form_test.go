package config_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/config"
)

// A genesis file that differs from what credmesh writes only by its
// formatting has another hash, so it is another network; FormDifference
// says where it differs, and gives the hash of the form credmesh writes.
func TestGenesisFormDifference(t *testing.T) {
	n := newTestNet(t)
	g, err := config.LoadGenesis(n.file)
	if err != nil {
		t.Fatal(err)
	}
	if canon, diff := g.FormDifference(); diff != "" || canon != g.Hash() {
		t.Fatalf("file as written: difference %q, canonical %x, hash %x", diff, canon, g.Hash())
	}
	lines := strings.Split(n.data, "\n")
	for _, tc := range []struct {
		name, data, want string
	}{
		{"trailing space", strings.Replace(n.data, ",\n", ", \n", 1), "line 2: trailing blanks"},
		{"indentation", strings.Join(append([]string{lines[0], "    " + strings.TrimSpace(lines[1])}, lines[2:]...), "\n"), "line 2: indentation"},
		{"blank line at the end", n.data + "\n", "blank lines or blanks after the end"},
		{"no final newline", strings.TrimSuffix(n.data, "\n"), "ends early"},
		{"compact", compact(t, n.data), "line 1: "},
	} {
		p := filepath.Join(t.TempDir(), "genesis.json")
		if err := os.WriteFile(p, []byte(tc.data), 0o644); err != nil {
			t.Fatal(err)
		}
		other, err := config.LoadGenesis(p)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		canon, diff := other.FormDifference()
		if other.Hash() == g.Hash() || canon != g.Hash() || !strings.Contains(diff, tc.want) {
			t.Errorf("%s: hash %x (network %x), canonical %x, difference %q, want %q", tc.name, other.Hash(), g.Hash(), canon, diff, tc.want)
		}
	}
}

func compact(t *testing.T, s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
