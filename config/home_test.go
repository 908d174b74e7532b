package config_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/peerid"
)

func TestHomeInit(t *testing.T) {
	h := config.Home(filepath.Join(t.TempDir(), "a", "home"))
	id, err := h.Init("Example Bank")
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(string(h))
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("home: %v, %v; want a 0700 directory", st.Mode(), err)
	}
	for _, p := range []string{h.KeyPath(), h.ConfigPath()} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v; want mode 0600", p, st.Mode(), err)
		}
	}

	key, err := config.LoadKey(h.KeyPath())
	if err != nil {
		t.Fatal(err)
	}
	if peerid.OfKey(key) != id {
		t.Errorf("Init returned %s, the key is %s", id, peerid.OfKey(key))
	}
	if _, err := os.Stat(h.SecretPath()); !errors.Is(err, fs.ErrNotExist) {
		t.Error("Init wrote a subject secret; it comes with the genesis")
	}
	c, err := config.Load(h.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	want := config.Default()
	want.Name = "Example Bank"
	if c.Name != want.Name || c.API != want.API || c.P2P.MaxPeers != want.P2P.MaxPeers {
		t.Errorf("config %+v, want the default named Example Bank", c)
	}
	assertOnlyFiles(t, string(h), "config.toml", "key")

	if h.GenesisPath() != filepath.Join(string(h), "genesis.json") || h.DataDir() != filepath.Join(string(h), "data") {
		t.Errorf("paths %s %s", h.GenesisPath(), h.DataDir())
	}
}

func TestHomeInitTwice(t *testing.T) {
	h := config.Home(t.TempDir())
	if _, err := h.Init("First"); err != nil {
		t.Fatal(err)
	}
	key, _ := os.ReadFile(h.KeyPath())
	secret, _ := os.ReadFile(h.SecretPath())
	cfg, _ := os.ReadFile(h.ConfigPath())

	_, err := h.Init("Second")
	if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "key") {
		t.Fatalf("second Init: got %v, want fs.ErrExist naming the key", err)
	}
	for p, before := range map[string][]byte{h.KeyPath(): key, h.SecretPath(): secret, h.ConfigPath(): cfg} {
		if after, _ := os.ReadFile(p); !bytes.Equal(before, after) {
			t.Errorf("%s changed", p)
		}
	}
	assertOnlyFiles(t, string(h), "config.toml", "key")
}

func TestHomeInitRefusesBeforeWriting(t *testing.T) {
	// A bad name: nothing is created, not even the directory.
	h := config.Home(filepath.Join(t.TempDir(), "new"))
	if _, err := h.Init(""); !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	if _, err := os.Stat(string(h)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("home exists after a refused Init: %v", err)
	}

	// A config.toml already there: it is kept, and no key is made.
	h = config.Home(t.TempDir())
	if err := os.WriteFile(h.ConfigPath(), []byte("name = \"mine\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Init("New"); !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "config.toml") {
		t.Fatalf("got %v, want fs.ErrExist naming config.toml", err)
	}
	assertOnlyFiles(t, string(h), "config.toml")
}

// A setting that does not validate (a port beyond 65535) is refused before
// anything is written, so the retry with the right value succeeds.
func TestHomeInitWithRefusesBeforeWriting(t *testing.T) {
	h := config.Home(filepath.Join(t.TempDir(), "new"))
	cfg := config.Default()
	cfg.Name = "Example Bank"
	cfg.P2P.Listen = []string{"/ip4/127.0.0.1/tcp/70000"}
	if _, err := h.InitWith(cfg); !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "p2p.listen[0]") {
		t.Fatalf("got %v, want ErrInvalid naming p2p.listen[0]", err)
	}
	if _, err := os.Stat(string(h)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("home exists after a refused InitWith: %v", err)
	}
	cfg.P2P.Listen = []string{"/ip4/127.0.0.1/tcp/7000"}
	if _, err := h.InitWith(cfg); err != nil {
		t.Fatalf("retry: %v", err)
	}
	got, err := config.Load(h.ConfigPath())
	if err != nil || len(got.P2P.Listen) != 1 || got.P2P.Listen[0] != cfg.P2P.Listen[0] {
		t.Fatalf("config after InitWith: %+v, %v", got.P2P, err)
	}
}

func TestHomeInitUnderAFile(t *testing.T) {
	parent := t.TempDir()
	file := filepath.Join(parent, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	h := config.Home(filepath.Join(file, "home"))
	if _, err := h.Init("X"); err == nil {
		t.Fatal("Init under a file succeeded")
	}
	assertOnlyFiles(t, parent, "file")
}

// assertOnlyFiles fails unless dir holds exactly the named entries: no
// temporary file stays behind.
func assertOnlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	sort.Strings(names)
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Fatalf("%s holds %v, want %v", dir, got, names)
	}
}

// A damaged genesis is replaced by the network's copy, never remade: the
// error says so, and does not suggest genesis new, which would make
// another network.
func TestHomeLoadGenesisHints(t *testing.T) {
	h := config.Home(t.TempDir())
	_, err := h.LoadGenesis()
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "from another member") {
		t.Fatalf("missing genesis: %v", err)
	}
	if err := os.WriteFile(h.GenesisPath(), []byte(`{"network_id": "x",`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = h.LoadGenesis()
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "copy genesis.json from another member") ||
		!strings.Contains(err.Error(), "do not run credmesh genesis new") || !strings.Contains(err.Error(), "genesis.json:1:") {
		t.Fatalf("corrupt genesis: %v", err)
	}
}

func TestHomeCheckDataDir(t *testing.T) {
	h := config.Home(t.TempDir())
	if w := h.CheckDataDir(); w != "" {
		t.Errorf("no data directory: %q", w)
	}
	if err := os.Mkdir(h.DataDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if w := h.CheckDataDir(); w != "" {
		t.Errorf("mode 0700: %q", w)
	}
	if err := os.Chmod(h.DataDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if w := h.CheckDataDir(); !strings.Contains(w, "mode 0755") || !strings.Contains(w, "chmod 700 "+h.DataDir()) {
		t.Errorf("mode 0755: %q", w)
	}
}
