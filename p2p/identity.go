package p2p

import (
	"crypto/ed25519"
	"fmt"

	"github.com/credmesh/credmesh/chain"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// PeerIDOf returns the libp2p peer ID of an issuer: an institution's peer ID
// is derived from the same Ed25519 key that signs its blocks.
func PeerIDOf(iss chain.IssuerID) (peer.ID, error) {
	pub, err := crypto.UnmarshalEd25519PublicKey(iss[:])
	if err != nil {
		return "", err
	}
	return peer.IDFromPublicKey(pub)
}

// IssuerOf returns the issuer ID behind a peer ID of an Ed25519 key.
func IssuerOf(id peer.ID) (chain.IssuerID, error) {
	pub, err := id.ExtractPublicKey()
	if err != nil {
		return chain.IssuerID{}, fmt.Errorf("p2p: peer %s: %w", id, err)
	}
	if pub.Type() != crypto.Ed25519 {
		return chain.IssuerID{}, fmt.Errorf("p2p: peer %s has a %s key, members use Ed25519", id, pub.Type())
	}
	raw, err := pub.Raw()
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return chain.IssuerID{}, fmt.Errorf("p2p: peer %s: malformed Ed25519 key", id)
	}
	return chain.IssuerID(raw), nil
}

// hostKey converts the institution's key for libp2p.
func hostKey(key ed25519.PrivateKey) (crypto.PrivKey, error) {
	return crypto.UnmarshalEd25519PrivateKey(key)
}
