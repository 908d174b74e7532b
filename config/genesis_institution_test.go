package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/peerid"
)

// institution_type: written only when set (a genesis without it keeps its
// bytes), read back by issuer, and anything but bank or non_bank refused
// with the field named.
func TestGenesisInstitutionType(t *testing.T) {
	n := newTestNet(t)
	if strings.Contains(n.data, "institution_type") {
		t.Fatalf("a genesis without institution types writes the key:\n%s", n.data)
	}
	members := append([]config.Member(nil), n.members...)
	members[1].InstitutionType = config.InstitutionBank
	members[2].InstitutionType = config.InstitutionNonBank
	g := config.NewGenesis("credmesh-test", n.genesis.Time(), members, n.params)
	file := filepath.Join(t.TempDir(), "genesis.json")
	if err := g.WriteGenesis(file); err != nil {
		t.Fatal(err)
	}
	back, err := config.LoadGenesis(file)
	if err != nil {
		t.Fatal(err)
	}
	types := back.InstitutionTypes()
	iss1, _ := peerid.Issuer(members[1].ID)
	iss2, _ := peerid.Issuer(members[2].ID)
	if len(types) != 2 || types[iss1] != config.InstitutionBank || types[iss2] != config.InstitutionNonBank {
		t.Fatalf("institution types %v", types)
	}
	data, _ := os.ReadFile(file)
	bad := strings.Replace(string(data), `"institution_type": "bank"`, `"institution_type": "credit_union"`, 1)
	os.WriteFile(file, []byte(bad), 0o644)
	if _, err := config.LoadGenesis(file); err == nil || !strings.Contains(err.Error(), "members[1].institution_type") || !strings.Contains(err.Error(), "not one of bank, non_bank") {
		t.Fatalf("unknown institution type: %v", err)
	}
}
