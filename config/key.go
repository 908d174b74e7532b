package config

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// KeyFile is the name of the institution's key in a peer's home.
const KeyFile = "key"

const pemPrivateKey = "PRIVATE KEY"

// GenerateKey returns a new institution key from crypto/rand.
func GenerateKey() (ed25519.PrivateKey, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("config: generating key: %w", err)
	}
	return key, nil
}

// WriteKey writes key to path as a PEM "PRIVATE KEY" block (PKCS #8, the
// format of openssl genpkey -algorithm ed25519), mode 0600, atomically. It
// never replaces a file: if path exists, the error wraps fs.ErrExist and
// the existing file is untouched.
func WriteKey(path string, key ed25519.PrivateKey) error {
	if len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("%w: key of %d bytes, want %d", ErrInvalid, len(key), ed25519.PrivateKeySize)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("config: encoding key: %w", err)
	}
	return writeNew(path, pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der}), privateFileMode)
}

// LoadKey reads the key WriteKey wrote. It refuses a file that group or
// others can access (wrapping ErrPermissions, with the chmod to run), and
// a file that is not one PEM "PRIVATE KEY" block holding a PKCS #8 Ed25519
// key (wrapping ErrInvalid); every error names the file.
func LoadKey(path string) (ed25519.PrivateKey, error) {
	data, err := readPrivate(path)
	if err != nil {
		return nil, err
	}
	block, rest := pem.Decode(data)
	switch {
	case block == nil:
		return nil, fmt.Errorf("%w: %s is not a PEM file (want a %q block)", ErrInvalid, path, pemPrivateKey)
	case block.Type != pemPrivateKey:
		return nil, fmt.Errorf("%w: %s holds a PEM %q block, want %q (PKCS #8)", ErrInvalid, path, block.Type, pemPrivateKey)
	case len(bytes.TrimSpace(rest)) != 0:
		return nil, fmt.Errorf("%w: %s has data after its PEM block", ErrInvalid, path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, path, err)
	}
	key, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s holds a %T, want an Ed25519 key", ErrInvalid, path, parsed)
	}
	return key, nil
}
