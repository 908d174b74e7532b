package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Home is a peer's home directory; see the package doc for its layout.
type Home string

// ConfigPath returns <home>/config.toml.
func (h Home) ConfigPath() string { return filepath.Join(string(h), ConfigFile) }

// GenesisPath returns <home>/genesis.json.
func (h Home) GenesisPath() string { return filepath.Join(string(h), GenesisFile) }

// KeyPath returns <home>/key.
func (h Home) KeyPath() string { return filepath.Join(string(h), KeyFile) }

// SecretPath returns <home>/subject.secret.
func (h Home) SecretPath() string { return filepath.Join(string(h), SecretFile) }

// DataDir returns <home>/data, the database directory.
func (h Home) DataDir() string { return filepath.Join(string(h), "data") }

// Init makes h the home of a new institution called name: it creates the
// directory (mode 0700) if needed, a new key and a default config.toml with
// that name, and returns the peer ID of the key. The data directory is made
// by the first run, mode 0700 (CheckDataDir). The genesis and the
// members' shared subject secret are not created here: they come from the
// network (credmesh genesis new writes both into every member's home).
//
// Init refuses, before writing anything, a name Validate would refuse and
// a home that already holds a key, a secret or a config.toml (the error
// wraps fs.ErrExist): an institution's key is never replaced by accident.
// If a step fails, what this call created is removed again.
func (h Home) Init(name string) (peer.ID, error) {
	cfg := Default()
	cfg.Name = name
	return h.InitWith(cfg)
}

// InitWith is Init with a whole configuration instead of the default one
// with a name: cfg is validated before anything is written, so a bad
// setting (a port out of range) leaves no key or config.toml behind for
// a retry to trip over.
func (h Home) InitWith(cfg Config) (peer.ID, error) {
	return h.init(cfg, func(string) error { return nil })
}

// init is InitWith; before it writes each file it calls before with the
// file's name, and stops if that fails (tests use it to fail a step).
func (h Home) init(cfg Config, before func(file string) error) (id peer.ID, err error) {
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	var present []string
	for _, p := range []string{h.KeyPath(), h.SecretPath(), h.ConfigPath()} {
		if _, err := os.Lstat(p); err == nil {
			present = append(present, filepath.Base(p))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	if len(present) > 0 {
		return "", fmt.Errorf("config: %s already holds %s: refusing to overwrite (move it away or choose another home): %w",
			h, strings.Join(present, ", "), fs.ErrExist)
	}

	var created []string // files and directories, in creation order
	defer func() {
		if err == nil {
			return
		}
		for i := len(created) - 1; i >= 0; i-- {
			os.Remove(created[i]) // directories only if empty
		}
	}()
	dirs, err := missingDirs(string(h))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(string(h), 0o700); err != nil {
		return "", err
	}
	created = append(created, dirs...)

	key, err := GenerateKey()
	if err != nil {
		return "", err
	}
	if err := before(KeyFile); err != nil {
		return "", err
	}
	if err := WriteKey(h.KeyPath(), key); err != nil {
		return "", err
	}
	created = append(created, h.KeyPath())
	data, err := cfg.encode(h.ConfigPath())
	if err != nil {
		return "", err
	}
	if err := before(ConfigFile); err != nil {
		return "", err
	}
	if err := writeNew(h.ConfigPath(), data, 0o600); err != nil {
		return "", err
	}
	created = append(created, h.ConfigPath())
	return peerid.OfKey(key), nil
}

// missingDirs returns dir and those of its parents that do not exist yet,
// outermost first.
func missingDirs(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		_, err := os.Stat(d)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append([]string{d}, missing...)
		if parent := filepath.Dir(d); parent == d {
			break
		}
	}
	return missing, nil
}

// LoadGenesis is LoadGenesis of the home's genesis.json, with what to do
// when it fails: a missing file is fetched from the network (or, for a new
// network, made with genesis new); a corrupt or edited one is replaced
// by another member's copy, never remade, since a new genesis is another
// network.
func (h Home) LoadGenesis() (*Genesis, error) {
	g, err := LoadGenesis(h.GenesisPath())
	switch {
	case err == nil:
		return g, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: copy the network's genesis.json from another member's home into %s; only to create a new network: credmesh genesis new --network ID --member %s ...", err, h, h)
	case errors.Is(err, ErrInvalid):
		return nil, fmt.Errorf("%w\n%s is not the network's genesis as it was written: copy genesis.json from another member's home (check that `credmesh genesis show` prints the same hash there and here); do not run credmesh genesis new, which makes another network", err, h.GenesisPath())
	}
	return nil, err
}

// CheckDataDir returns a warning if the data directory exists and group or
// others may enter it, or "" if not. The database's files are created
// readable by all (Pebble's mode), so the directory, which the store
// creates with mode 0700, is what keeps them private; one made by hand or
// copied from a backup may have lost that.
func (h Home) CheckDataDir() string {
	st, err := os.Stat(h.DataDir())
	if err != nil || !st.IsDir() || runtime.GOOS == "windows" {
		return ""
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Sprintf("%s has mode %04o, which lets group or others read the database (every chain and index): run chmod 700 %s", h.DataDir(), perm, h.DataDir())
	}
	return ""
}
