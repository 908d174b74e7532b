package peerid_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

func TestRoundTrip(t *testing.T) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := crypto.UnmarshalEd25519PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	want, err := peer.IDFromPrivateKey(sk)
	if err != nil {
		t.Fatal(err)
	}
	id := peerid.OfKey(key)
	if id != want {
		t.Fatalf("OfKey = %s, want %s (libp2p's)", id, want)
	}
	iss, err := peerid.Issuer(id)
	if err != nil || iss != chain.IssuerOf(key.Public().(ed25519.PublicKey)) {
		t.Fatalf("Issuer = %s, %v; want the public key", iss, err)
	}
	if back, err := peerid.FromIssuer(iss); err != nil || back != id {
		t.Errorf("FromIssuer(Issuer(%s)) = %s, %v", id, back, err)
	}
}

func TestIssuerRefusesOtherKeys(t *testing.T) {
	_, pub, err := crypto.GenerateSecp256k1Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := peerid.Issuer(id); err == nil || !strings.Contains(err.Error(), "Secp256k1") {
		t.Errorf("secp256k1 peer ID: got %v", err)
	}
	rsaID, err := peer.Decode("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := peerid.Issuer(rsaID); err == nil || !strings.Contains(err.Error(), "does not embed its public key") {
		t.Errorf("hashed peer ID: got %v", err)
	}
	if _, err := peerid.Issuer(""); err == nil {
		t.Error("empty peer ID: no error")
	}
}

func TestOfKeyPanicsOnShortKey(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	peerid.OfKey(make(ed25519.PrivateKey, 10))
}
