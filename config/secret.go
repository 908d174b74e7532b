package config

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// SecretFile is the name of the subject secret in a peer's home.
const SecretFile = "subject.secret"

// Sizes of a subject secret, in bytes.
const (
	SecretSize    = 32 // what GenerateSecret returns
	MinSecretSize = 16 // the least LoadSecret accepts
)

// GenerateSecret returns SecretSize random bytes for a new subject secret.
// Subject references are derived from national IDs with this secret, and
// every member of a network must hold the same one: the first member
// generates it and hands it to the others out of band.
func GenerateSecret() []byte {
	b := make([]byte, SecretSize)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return b
}

// WriteSecret writes secret to path as hex and a newline, mode 0600,
// atomically. It never replaces a file: if path exists, the error wraps
// fs.ErrExist and the existing file is untouched.
func WriteSecret(path string, secret []byte) error {
	if len(secret) < MinSecretSize {
		return fmt.Errorf("%w: secret of %d bytes, at least %d are required", ErrInvalid, len(secret), MinSecretSize)
	}
	data := make([]byte, 0, 2*len(secret)+1)
	data = hex.AppendEncode(data, secret)
	return writeNew(path, append(data, '\n'), privateFileMode)
}

// LoadSecret reads the secret WriteSecret wrote. It refuses a file that
// group or others can access (wrapping ErrPermissions, with the chmod to
// run), and one that is not hex of at least MinSecretSize bytes (wrapping
// ErrInvalid); every error names the file.
func LoadSecret(path string) ([]byte, error) {
	data, err := readPrivate(path)
	if err != nil {
		return nil, err
	}
	secret, err := hex.DecodeString(string(bytes.TrimSpace(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not hex: %v", ErrInvalid, path, err)
	}
	if len(secret) < MinSecretSize {
		return nil, fmt.Errorf("%w: %s holds %d bytes, at least %d are required", ErrInvalid, path, len(secret), MinSecretSize)
	}
	return secret, nil
}

// FingerprintContext starts the bytes hashed into a subject secret's
// fingerprint (docs/PROTOCOL.md 6.2).
const FingerprintContext = "credmesh/v1/subject-secret\x00"

// ErrWrongSecret is wrapped when a subject secret is not the one the
// genesis commits to.
var ErrWrongSecret = errors.New("config: the subject secret is not this network's")

// WrongSecretError reports a subject secret that is not the one a genesis
// commits to. It names the files, never the secret or its fingerprint, and
// unwraps to ErrWrongSecret.
type WrongSecretError struct {
	// SecretFile and GenesisFile are the paths the secret and the genesis
	// were read from, or their conventional names (subject.secret,
	// genesis.json) when the check had only the values.
	SecretFile, GenesisFile string
	// NetworkID is the genesis's network.
	NetworkID string
}

func (e *WrongSecretError) Error() string {
	return fmt.Sprintf("%s is not the subject secret of network %q: its fingerprint is not params.subject_secret_fingerprint of %s "+
		"(this peer would derive other subject references than the members; copy the network's subject.secret from another member, over a secure channel)",
		e.SecretFile, e.NetworkID, e.GenesisFile)
}

// Unwrap returns ErrWrongSecret.
func (e *WrongSecretError) Unwrap() error { return ErrWrongSecret }

// SecretFingerprint returns the commitment to a network's subject secret
// that its genesis carries (params.subject_secret_fingerprint): lower-case
// hex of SHA-256(FingerprintContext || network ID || 0x00 || secret),
// secret being the bytes subject.secret holds in hex. It reveals nothing
// of the secret, and tells a member holding another secret that it is
// not this network's.
func SecretFingerprint(networkID string, secret []byte) string {
	h := sha256.New()
	h.Write([]byte(FingerprintContext))
	h.Write([]byte(networkID))
	h.Write([]byte{0})
	h.Write(secret)
	return hex.EncodeToString(h.Sum(nil))
}

// CheckSecret returns nil if secret is the subject secret g commits to,
// else a *WrongSecretError naming subject.secret and genesis.json (the
// caller, knowing the paths, may set them).
func (g *Genesis) CheckSecret(secret []byte) error {
	if SecretFingerprint(g.networkID, secret) != g.params.SubjectSecretFingerprint {
		return &WrongSecretError{SecretFile: SecretFile, GenesisFile: GenesisFile, NetworkID: g.networkID}
	}
	return nil
}
