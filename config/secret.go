package config

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
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
