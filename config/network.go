package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/credmesh/credmesh/internal/peerid"
	ma "github.com/multiformats/go-multiaddr"
)

// MemberFromHome describes the institution of a home as a genesis member:
// the peer ID of its key, the name in its config, the given roles, and the
// addresses it listens on, with a wildcard host (0.0.0.0, ::) replaced by
// advertise (the address other members dial, e.g. its public IP). A
// config that CheckDialable refuses (port 0) is refused here too.
func MemberFromHome(h Home, roles []Role, advertise string) (Member, error) {
	key, err := LoadKey(h.KeyPath())
	if err != nil {
		return Member{}, err
	}
	cfg, err := Load(h.ConfigPath())
	if err != nil {
		return Member{}, err
	}
	if err := cfg.CheckDialable(); err != nil {
		return Member{}, EnvSources(os.Environ()).Blame(err, h.ConfigPath())
	}
	m := Member{ID: peerid.OfKey(key), Name: cfg.Name, Roles: roles}
	for _, s := range cfg.P2P.Listen {
		s = strings.Replace(s, "/ip4/0.0.0.0/", "/ip4/"+advertise+"/", 1)
		s = strings.Replace(s, "/ip6/::/", "/ip6/"+advertise+"/", 1)
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return Member{}, fmt.Errorf("%s: p2p.listen: %q: %w", h.ConfigPath(), s, err)
		}
		m.Addrs = append(m.Addrs, a)
	}
	return m, nil
}

// InstallGenesis writes the genesis and the members' subject secret into
// every home. It checks every home first and writes nothing if one already
// holds a different genesis or secret: a peer's network is never switched
// by accident. Homes that already hold exactly these files are left as
// they are. The genesis must commit to the secret
// (params.subject_secret_fingerprint, SecretFingerprint).
func InstallGenesis(g *Genesis, secret []byte, homes ...Home) error {
	data, err := g.Marshal()
	if err != nil {
		return err
	}
	if err := g.CheckSecret(secret); err != nil {
		return fmt.Errorf("config: installing the genesis: %w", err)
	}
	secretFile := append(fmt.Appendf(nil, "%x", secret), '\n')
	for _, h := range homes {
		for _, f := range []struct {
			path string
			want []byte
		}{{h.GenesisPath(), data}, {h.SecretPath(), secretFile}} {
			have, err := os.ReadFile(f.path)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return err
			}
			if !bytes.Equal(have, f.want) {
				return fmt.Errorf("config: %s already exists and differs: refusing to replace a peer's network (move it away first): %w", f.path, fs.ErrExist)
			}
		}
	}
	for _, h := range homes {
		if err := g.WriteGenesis(h.GenesisPath()); err != nil {
			return err
		}
		if _, err := os.Stat(h.SecretPath()); errors.Is(err, fs.ErrNotExist) {
			if err := WriteSecret(h.SecretPath(), secret); err != nil {
				return err
			}
		}
	}
	return nil
}
