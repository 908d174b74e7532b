package config_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/credmesh/credmesh/config"
)

func TestAtomicWritesLeaveNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	c := validConfig()
	for range 3 { // replacing is fine for the config
		if err := c.WriteFile(filepath.Join(dir, "config.toml")); err != nil {
			t.Fatal(err)
		}
	}
	key, _ := config.GenerateKey()
	if err := config.WriteKey(filepath.Join(dir, "key"), key); err != nil {
		t.Fatal(err)
	}
	if err := config.WriteKey(filepath.Join(dir, "key"), key); err == nil {
		t.Fatal("key replaced")
	}
	if err := config.WriteSecret(filepath.Join(dir, "subject.secret"), config.GenerateSecret()); err != nil {
		t.Fatal(err)
	}
	n := newTestNet(t)
	if err := n.genesis.WriteGenesis(filepath.Join(dir, "genesis.json")); err != nil {
		t.Fatal(err)
	}
	assertOnlyFiles(t, dir, "config.toml", "genesis.json", "key", "subject.secret")
}

func TestFailedWriteKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	// A non-empty directory where the file should go: the rename fails
	// after the temporary file was written.
	target := filepath.Join(dir, "config.toml")
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := validConfig().WriteFile(target); err == nil {
		t.Fatal("wrote over a directory")
	}
	assertOnlyFiles(t, dir, "config.toml")
	assertOnlyFiles(t, target, "x")

	// A genesis written over an existing one replaces it whole.
	n := newTestNet(t)
	g2 := config.NewGenesis("other", time.Now(), n.genesis.MemberList(), config.GenesisParams{SubjectSecretFingerprint: config.SecretFingerprint("other", testSecret)})
	if err := g2.WriteGenesis(n.file); err != nil {
		t.Fatal(err)
	}
	loaded, err := config.LoadGenesis(n.file)
	if err != nil || loaded.NetworkID() != "other" || loaded.Hash() != g2.Hash() {
		t.Fatalf("replaced genesis: %v", err)
	}
	assertOnlyFiles(t, filepath.Dir(n.file), "genesis.json")
}
