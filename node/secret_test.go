package node_test

import (
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/devnet"
)

// A member holding another subject secret than the one its genesis
// commits to refuses to start, naming both files and not the secret; with
// the network's secret back it starts.
func TestWrongSubjectSecretRefusesToStart(t *testing.T) {
	net, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "secret-test", Members: devnet.DefaultMembers[1:3]})
	if err != nil {
		t.Fatal(err)
	}
	h := net.Homes[0]
	good, err := os.ReadFile(h.SecretPath())
	if err != nil {
		t.Fatal(err)
	}
	other := config.GenerateSecret()
	if err := os.Remove(h.SecretPath()); err != nil {
		t.Fatal(err)
	}
	if err := config.WriteSecret(h.SecretPath(), other); err != nil {
		t.Fatal(err)
	}
	err = net.StartPeer(0)
	if err == nil {
		net.Stop()
		t.Fatal("a peer with another subject secret started")
	}
	msg := err.Error()
	if !errors.Is(err, config.ErrWrongSecret) || !strings.HasPrefix(msg, h.SecretPath()+` is not the subject secret of network "secret-test"`) || !strings.Contains(msg, h.GenesisPath()) {
		t.Fatalf("got %v, want the secret refused, naming %s and %s", err, h.SecretPath(), h.GenesisPath())
	}
	if strings.Contains(msg, hex.EncodeToString(other)) || strings.Contains(msg, strings.TrimSpace(string(good))) {
		t.Fatalf("the error shows a secret: %v", err)
	}
	if _, err := os.Stat(h.DataDir()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the refused start created the data directory: %v", err)
	}

	if err := os.Remove(h.SecretPath()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.SecretPath(), good, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := net.Start(); err != nil {
		t.Fatalf("with the network's secret: %v", err)
	}
	if err := net.Stop(); err != nil {
		t.Fatal(err)
	}
}
