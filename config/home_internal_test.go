package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// A step of Init that fails takes back what the call created, and only
// that: a home directory that was there stays, one Init made goes.
func TestHomeInitRollsBack(t *testing.T) {
	boom := errors.New("boom")
	for _, failAt := range []string{KeyFile, ConfigFile} {
		t.Run(failAt, func(t *testing.T) {
			parent := t.TempDir()
			h := Home(filepath.Join(parent, "new", "home"))
			_, err := h.init(named("X"), func(file string) error {
				if file == failAt {
					return boom
				}
				return nil
			})
			if !errors.Is(err, boom) {
				t.Fatalf("got %v, want boom", err)
			}
			if _, err := os.Stat(filepath.Join(parent, "new")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("created directories remain: %v", err)
			}

			existing := Home(t.TempDir())
			if err := os.WriteFile(filepath.Join(string(existing), "other"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := existing.init(named("X"), func(file string) error {
				if file == failAt {
					return boom
				}
				return nil
			}); !errors.Is(err, boom) {
				t.Fatalf("got %v, want boom", err)
			}
			entries, _ := os.ReadDir(string(existing))
			if len(entries) != 1 || entries[0].Name() != "other" {
				t.Fatalf("home holds %v after a failed Init, want only the file that was there", entries)
			}
			// And a retry succeeds.
			if _, err := existing.Init("X"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func named(name string) Config {
	c := Default()
	c.Name = name
	return c
}
