package p2p

import (
	"crypto/ed25519"

	"github.com/libp2p/go-libp2p/core/crypto"
)

// hostKey converts the institution's key for libp2p.
func hostKey(key ed25519.PrivateKey) (crypto.PrivKey, error) {
	return crypto.UnmarshalEd25519PrivateKey(key)
}
