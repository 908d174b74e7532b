package main

import (
	"archive/tar"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/credmesh/credmesh/internal/version"
	"github.com/spf13/cobra"
)

// exportManifest is the first file of an export, credmesh-export.json.
type exportManifest struct {
	Format      int       `json:"format"` // 1
	Version     string    `json:"credmesh_version"`
	ExportedAt  time.Time `json:"exported_at"`
	PeerID      string    `json:"peer_id"`
	Name        string    `json:"name"`
	Network     string    `json:"network"`
	GenesisHash string    `json:"genesis_hash"`
	// OwnHeight is the height of our own chain in the snapshot; a peer
	// restored from it recovers the blocks above from the members.
	OwnHeight uint64 `json:"own_height"`
}

const manifestFile = "credmesh-export.json"

// homeFiles are the files of a home an export carries besides data/.
var homeFiles = []string{config.ConfigFile, config.GenesisFile, config.KeyFile, config.SecretFile}

func newExportCmd() *cobra.Command {
	var home, out string
	c := &cobra.Command{
		Use:   "export --home DIR --out FILE.tar",
		Short: "Write a backup of a stopped peer's home into a tar file",
		Long: `Write a peer's home into one tar file: config.toml, genesis.json, the key, the
subject secret and a consistent snapshot of the store (a Pebble checkpoint and
the pending log), with credmesh-export.json describing it. Restore it with
'credmesh import'.

The peer must be stopped: export opens the store itself, so that nothing is
written while the snapshot is taken; it refuses while a peer runs from the home.
The file holds the peer's private key and its members' subject secret: keep it
as safe as the key itself (it is written with mode 0600).

A restored peer is behind by whatever its chain gained after the export. It
recovers those blocks from the other members before it signs again (start it
without --trust-local-chain). See docs/OPERATIONS.md, "Backup and restore".`,
		Example: `  credmesh export --home ./tax --out tax-2026-11-02.tar`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, err := requireHome(home)
			if err != nil {
				return err
			}
			if out == "" {
				return usageErr("--out FILE is required: where to write the tar file")
			}
			m, err := exportHome(h, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "exported %s (%s, peer %s) into %s: own chain at height %d\n", h, m.Name, m.PeerID, out, m.OwnHeight)
			fmt.Fprintf(cmd.ErrOrStderr(), "%s holds the peer's private key: keep it as safe as the key\n", out)
			return nil
		},
	}
	homeFlag(c, &home)
	c.Flags().StringVar(&out, "out", "", "the tar file to write (must not exist)")
	return c
}

// exportHome snapshots h into the tar file out.
func exportHome(h config.Home, out string) (*exportManifest, error) {
	for _, f := range homeFiles {
		if _, err := os.Stat(filepath.Join(string(h), f)); err != nil {
			return nil, fmt.Errorf("%s is not a complete home: %w", h, err)
		}
	}
	if _, err := os.Stat(h.DataDir()); err != nil {
		return nil, fmt.Errorf("%s has no store to export: %w", h, err)
	}
	if _, err := os.Stat(out); err == nil {
		return nil, fmt.Errorf("%s exists: export writes a new file, it never overwrites one", out)
	}
	cfg, err := config.Load(h.ConfigPath())
	if err != nil {
		return nil, err
	}
	g, err := config.LoadGenesis(h.GenesisPath())
	if err != nil {
		return nil, err
	}
	key, err := config.LoadKey(h.KeyPath())
	if err != nil {
		return nil, err
	}
	st, err := store.Open(h.DataDir(), store.Options{Logger: slog.New(slog.DiscardHandler)})
	if errors.Is(err, store.ErrInUse) {
		return nil, fmt.Errorf("a peer is running from %s: stop it first (export takes its snapshot with the store to itself)", h)
	}
	if err != nil {
		return nil, err
	}
	snap, err := os.MkdirTemp(filepath.Dir(out), ".credmesh-export-")
	if err != nil {
		st.Close()
		return nil, err
	}
	defer os.RemoveAll(snap)
	self := peerid.OfKey(key)
	iss, err := peerid.Issuer(self)
	if err != nil {
		st.Close()
		return nil, err
	}
	gh := g.Hash()
	m := &exportManifest{Format: 1, Version: version.String(), ExportedAt: time.Now().UTC(), PeerID: self.String(),
		Name: cfg.Name, Network: g.NetworkID(), GenesisHash: hex.EncodeToString(gh[:])}
	if head := st.Heads()[chain.IssuerID(iss)]; head != nil {
		m.OwnHeight = head.Height
	}
	err = st.Checkpoint(filepath.Join(snap, "data"))
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	tmp := out + ".partial"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	if err := writeExport(f, h, snap, m); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing %s: %w", out, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return m, os.Rename(tmp, out)
}

func writeExport(w io.Writer, h config.Home, snap string, m *exportManifest) error {
	tw := tar.NewWriter(w)
	body, err := jsonBytes(m)
	if err != nil {
		return err
	}
	if err := tarBytes(tw, manifestFile, body); err != nil {
		return err
	}
	for _, name := range homeFiles {
		if err := tarFile(tw, filepath.Join(string(h), name), name); err != nil {
			return err
		}
	}
	err = filepath.WalkDir(filepath.Join(snap, "data"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(snap, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: rel + "/", Mode: 0o700, ModTime: m.ExportedAt})
		}
		return tarFile(tw, path, rel)
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

func tarBytes(tw *tar.Writer, name string, b []byte) error {
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o600, Size: int64(len(b)), ModTime: time.Now()}); err != nil {
		return err
	}
	_, err := tw.Write(b)
	return err
}

func tarFile(tw *tar.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o600, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}
