package config_test

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/credmesh/credmesh/config"
)

func TestInstallGenesisIntoHomes(t *testing.T) {
	dir := t.TempDir()
	var homes []config.Home
	var members []config.Member
	for _, name := range []string{"Tax", "Bank"} {
		h := config.Home(filepath.Join(dir, name))
		if _, err := h.Init(name); err != nil {
			t.Fatal(err)
		}
		m, err := config.MemberFromHome(h, []config.Role{config.RoleCredit}, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Addrs) == 0 || m.Addrs[0].String() != "/ip4/127.0.0.1/tcp/7600" {
			t.Fatalf("member addrs %v", m.Addrs)
		}
		homes, members = append(homes, h), append(members, m)
	}
	secret := config.GenerateSecret()
	params := config.DefaultGenesisParams()
	params.SubjectSecretFingerprint = config.SecretFingerprint("test-net", secret)
	g := config.NewGenesis("test-net", time.Unix(1_800_000_000, 0), members, params)
	// A genesis that commits to another secret is not installed.
	if err := config.InstallGenesis(g, config.GenerateSecret(), homes...); !errors.Is(err, config.ErrWrongSecret) {
		t.Fatalf("installing a genesis with another secret: %v", err)
	}
	if _, err := config.LoadGenesis(homes[0].GenesisPath()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a refused install wrote a genesis: %v", err)
	}
	if err := config.InstallGenesis(g, secret, homes...); err != nil {
		t.Fatal(err)
	}
	if err := config.InstallGenesis(g, secret, homes...); err != nil {
		t.Fatalf("installing the same genesis again: %v", err)
	}
	for _, h := range homes {
		loaded, err := config.LoadGenesis(h.GenesisPath())
		if err != nil || loaded.Hash() != g.Hash() {
			t.Fatalf("%s: %v", h, err)
		}
		if s, err := config.LoadSecret(h.SecretPath()); err != nil || string(s) != string(secret) {
			t.Fatalf("%s secret: %v", h, err)
		}
	}
	params.SubjectSecretFingerprint = config.SecretFingerprint("other-net", secret)
	other := config.NewGenesis("other-net", time.Unix(1_800_000_000, 0), members, params)
	if err := config.InstallGenesis(other, secret, homes...); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("replacing a network: %v", err)
	}
	if loaded, _ := config.LoadGenesis(homes[1].GenesisPath()); loaded.Hash() != g.Hash() {
		t.Fatal("a refused install changed a home")
	}
}
