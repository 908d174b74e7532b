package config_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/config"
)

func TestKeyRoundTrip(t *testing.T) {
	key, err := config.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "key")
	if err := config.WriteKey(p, key); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(p)
	if !strings.HasPrefix(string(data), "-----BEGIN PRIVATE KEY-----\n") {
		t.Errorf("not a PEM PRIVATE KEY:\n%s", data)
	}
	got, err := config.LoadKey(p)
	if err != nil {
		t.Fatal(err)
	}
	if !key.Equal(got) {
		t.Fatal("loaded key differs")
	}
}

func TestLoadKeyRefusesOpenMode(t *testing.T) {
	key, _ := config.GenerateKey()
	p := filepath.Join(t.TempDir(), "key")
	if err := config.WriteKey(p, key); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []fs.FileMode{0o644, 0o640, 0o604, 0o660} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		_, err := config.LoadKey(p)
		if !errors.Is(err, config.ErrPermissions) {
			t.Fatalf("mode %04o: got %v, want ErrPermissions", mode, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, p+" has mode 0"+octal(mode)) || !strings.Contains(msg, "run chmod 600 "+p) {
			t.Errorf("mode %04o: message %q does not name the file, its mode and the fix", mode, msg)
		}
	}
	if err := os.Chmod(p, 0o400); err != nil {
		t.Fatal(err)
	}
	if _, err := config.LoadKey(p); err != nil {
		t.Fatalf("mode 0400: %v", err)
	}
}

func octal(m fs.FileMode) string {
	const digits = "01234567"
	return string([]byte{digits[m>>6&7], digits[m>>3&7], digits[m&7]})
}

func TestWriteKeyDoesNotOverwrite(t *testing.T) {
	first, _ := config.GenerateKey()
	second, _ := config.GenerateKey()
	p := filepath.Join(t.TempDir(), "key")
	if err := config.WriteKey(p, first); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(p)
	err := config.WriteKey(p, second)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second WriteKey: got %v, want fs.ErrExist", err)
	}
	after, _ := os.ReadFile(p)
	if !bytes.Equal(before, after) {
		t.Fatal("the existing key was changed")
	}
	assertOnlyFiles(t, filepath.Dir(p), "key")
}

func TestLoadKeyRefusesBadFiles(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := config.GenerateKey()
	edDER, _ := x509.MarshalPKCS8PrivateKey(key)
	tests := []struct {
		name, content, want string
	}{
		{"not PEM", "just some text\n", "is not a PEM file"},
		{"empty", "", "is not a PEM file"},
		{"other PEM type", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})), `holds a PEM "EC PRIVATE KEY" block, want "PRIVATE KEY"`},
		{"ECDSA", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})), "holds a *ecdsa.PrivateKey, want an Ed25519 key"},
		{"garbage DER", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("nonsense")})), "key: "},
		{"two blocks", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER})) + string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER})), "has data after its PEM block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "key")
			if err := os.WriteFile(p, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := config.LoadKey(p)
			if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error naming %s and containing %q", err, p, tt.want)
			}
			if !errors.Is(err, config.ErrInvalid) {
				t.Errorf("%v does not wrap ErrInvalid", err)
			}
		})
	}
	if _, err := config.LoadKey(filepath.Join(t.TempDir(), "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing key: got %v", err)
	}
}

func TestSecretRoundTrip(t *testing.T) {
	secret := config.GenerateSecret()
	if len(secret) != 32 || bytes.Equal(secret, make([]byte, 32)) {
		t.Fatalf("secret %x", secret)
	}
	if bytes.Equal(secret, config.GenerateSecret()) {
		t.Fatal("two secrets are equal")
	}
	p := filepath.Join(t.TempDir(), "subject.secret")
	if err := config.WriteSecret(p, secret); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	if string(data) != hex.EncodeToString(secret)+"\n" {
		t.Errorf("file holds %q", data)
	}
	got, err := config.LoadSecret(p)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("LoadSecret = %x, %v", got, err)
	}
	if err := config.WriteSecret(p, config.GenerateSecret()); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second WriteSecret: got %v, want fs.ErrExist", err)
	}
	if again, _ := config.LoadSecret(p); !bytes.Equal(again, secret) {
		t.Fatal("the existing secret was changed")
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := config.LoadSecret(p); !errors.Is(err, config.ErrPermissions) || !strings.Contains(err.Error(), "chmod 600 "+p) {
		t.Fatalf("mode 0644: got %v", err)
	}
}

func TestLoadSecretRefusesBadFiles(t *testing.T) {
	for content, want := range map[string]string{
		"zz" + strings.Repeat("00", 20) + "\n": "is not hex",
		strings.Repeat("ab", 15) + "\n":        "holds 15 bytes, at least 16 are required",
		"":                                     "holds 0 bytes",
	} {
		p := filepath.Join(t.TempDir(), "subject.secret")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := config.LoadSecret(p)
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), want) || !errors.Is(err, config.ErrInvalid) {
			t.Errorf("%q: got %v, want %q", content, err, want)
		}
	}
	if err := config.WriteSecret(filepath.Join(t.TempDir(), "s"), make([]byte, 15)); !errors.Is(err, config.ErrInvalid) {
		t.Errorf("short secret written: %v", err)
	}
}
