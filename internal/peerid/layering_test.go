package peerid_test

import (
	"go/build"
	"slices"
	"testing"
)

// The network and query layers take peer-ID conversion from this package
// and the receipt sink's refusals from chain: neither imports config, and
// queryproto does not import the builder (test files aside).
func TestNetworkLayersDoNotImportConfigOrBuilder(t *testing.T) {
	for dir, banned := range map[string][]string{
		"../../p2p":        {"github.com/credmesh/credmesh/config", "github.com/credmesh/credmesh/chain/builder"},
		"../../queryproto": {"github.com/credmesh/credmesh/config", "github.com/credmesh/credmesh/chain/builder"},
	} {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range banned {
			if slices.Contains(pkg.Imports, b) {
				t.Errorf("%s imports %s", pkg.ImportPath, b)
			}
		}
	}
}
