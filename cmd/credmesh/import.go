package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/spf13/cobra"
)

func jsonBytes(v any) ([]byte, error) {
	var b bytes.Buffer
	err := printJSON(&b, v)
	return b.Bytes(), err
}

func newImportCmd() *cobra.Command {
	var home string
	c := &cobra.Command{
		Use:   "import FILE.tar --home NEWDIR",
		Short: "Restore a home from a file 'credmesh export' wrote",
		Long: `Restore a peer's home from an export into a new directory. Import never
overwrites: it refuses a --home that exists and is not empty. It refuses, too,
while a peer with the export's key answers on the API address of the exported
config.toml: two peers with one key would sign two chains, a fork for good.

Start the restored peer with 'credmesh run --home NEWDIR', without
--trust-local-chain, while other members run: before it signs anything it asks
them for the blocks its key signed after the export (own-chain recovery) and
goes on from the newest. Records it accepted after the export that were never
sealed into a block, and private credit data kept after the export, are not in
the backup. See docs/OPERATIONS.md, "Backup and restore".`,
		Example: `  credmesh import tax-2026-11-02.tar --home ./tax-restored`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := requireHome(home)
			if err != nil {
				return err
			}
			m, err := importHome(cmd.Context(), args[0], h)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "restored %s (%s, peer %s) from %s, exported %s: own chain at height %d\n",
				h, m.Name, m.PeerID, args[0], m.ExportedAt.Format(time.RFC3339), m.OwnHeight)
			fmt.Fprintf(out, "start it with: credmesh run --home %s\n", h)
			fmt.Fprintf(out, "  (without --trust-local-chain: it recovers the blocks it signed after the export from the other members first)\n")
			return nil
		},
	}
	homeFlag(c, &home)
	return c
}

// importHome unpacks the export file into the new home h.
func importHome(ctx context.Context, file string, h config.Home) (*exportManifest, error) {
	if ents, err := os.ReadDir(string(h)); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("%s exists and is not empty: import restores into a new home, it never overwrites one", h)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	parent := filepath.Dir(filepath.Clean(string(h)))
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, ".credmesh-import-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := untar(f, tmp); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	m, err := checkImport(config.Home(tmp))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if err := refuseIfRunning(ctx, config.Home(tmp), m); err != nil {
		return nil, err
	}
	os.Remove(filepath.Join(tmp, manifestFile))
	os.Remove(string(h)) // an empty directory, if any
	if err := os.Rename(tmp, string(h)); err != nil {
		return nil, err
	}
	return m, nil
}

// untar writes the files of an export under dir, refusing any name
// outside it and any entry that is not a plain file or directory.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	seen := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("not an export tar file: %w", err)
		}
		name := path.Clean(hdr.Name)
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") || name == "." {
			return fmt.Errorf("not an export: entry %q is outside the home", hdr.Name)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
				return err
			}
			out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(out, tr)
			if err == nil {
				err = out.Sync()
			}
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			seen++
		default:
			return fmt.Errorf("not an export: entry %q is neither a file nor a directory", hdr.Name)
		}
	}
	if seen == 0 {
		return errors.New("not an export: the file holds no files")
	}
	return nil
}

// checkImport reads the manifest and checks that the files agree with it.
func checkImport(h config.Home) (*exportManifest, error) {
	b, err := os.ReadFile(filepath.Join(string(h), manifestFile))
	if err != nil {
		return nil, fmt.Errorf("not an export of credmesh: no %s", manifestFile)
	}
	var m exportManifest
	if err := json.Unmarshal(b, &m); err != nil || m.Format != 1 {
		return nil, fmt.Errorf("%s: not an export this version reads (format %d): %v", manifestFile, m.Format, err)
	}
	for _, f := range append(homeFiles, "data") {
		if _, err := os.Stat(filepath.Join(string(h), f)); err != nil {
			return nil, fmt.Errorf("the export lacks %s", f)
		}
	}
	key, err := config.LoadKey(h.KeyPath())
	if err != nil {
		return nil, err
	}
	if id := peerid.OfKey(key).String(); id != m.PeerID {
		return nil, fmt.Errorf("the key is of peer %s, the manifest says %s", id, m.PeerID)
	}
	return &m, nil
}

// refuseIfRunning refuses the import while a peer with the export's key
// answers on the exported config's API address.
func refuseIfRunning(ctx context.Context, h config.Home, m *exportManifest) error {
	cfg, err := config.Load(h.ConfigPath())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	st, err := api.NewClient(cfg.API.Listen, cfg.API.Token).Status(ctx)
	var apiErr *api.Error
	switch {
	case err == nil && st.PeerID == m.PeerID:
		return fmt.Errorf("a peer with this key (%s, %s) is running, its API on %s: stop it before restoring; two peers with one key sign two chains, a fork for good", m.Name, m.PeerID, cfg.API.Listen)
	case errors.As(err, &apiErr) && apiErr.Status == 401:
		return fmt.Errorf("a peer answers on %s, the exported API address, and refuses the exported token: stop the peer of this key before restoring", cfg.API.Listen)
	}
	return nil
}
