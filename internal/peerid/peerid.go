// Package peerid converts between a member's libp2p peer ID and its
// chain.IssuerID. Both are the member's Ed25519 public key: the peer ID
// embeds it (the identity multihash libp2p uses for keys this short), the
// issuer ID is its 32 bytes. Peer IDs of other key types, and those that
// hash their key instead of embedding it, are refused: they name no
// issuer. config (genesis members), p2p (membership of connections) and
// queryproto (who asks, who answers) all use it; it imports only chain and
// libp2p's core, so none of them needs another for this.
package peerid

import (
	"crypto/ed25519"
	"fmt"

	"github.com/credmesh/credmesh/chain"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Issuer returns the issuer ID of a member: the Ed25519 public key that its
// peer ID embeds.
func Issuer(id peer.ID) (chain.IssuerID, error) {
	if err := id.Validate(); err != nil {
		return chain.IssuerID{}, fmt.Errorf("peer ID: %w", err)
	}
	pub, err := id.ExtractPublicKey()
	if err != nil {
		return chain.IssuerID{}, fmt.Errorf("peer ID %s does not embed its public key, so it is not of an Ed25519 key as members' are", id)
	}
	if pub.Type() != crypto.Ed25519 {
		return chain.IssuerID{}, fmt.Errorf("peer ID %s is of a %s key; members use Ed25519 keys", id, pub.Type())
	}
	raw, err := pub.Raw()
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return chain.IssuerID{}, fmt.Errorf("peer ID %s holds a malformed Ed25519 key", id)
	}
	return chain.IssuerID(raw), nil
}

// FromIssuer returns the libp2p peer ID of an issuer's Ed25519 key.
func FromIssuer(iss chain.IssuerID) (peer.ID, error) {
	pub, err := crypto.UnmarshalEd25519PublicKey(iss[:])
	if err != nil {
		return "", fmt.Errorf("issuer %s: %w", iss.Short(), err)
	}
	return peer.IDFromPublicKey(pub)
}

// OfKey returns the peer ID of an institution's key. It panics if key is
// not ed25519.PrivateKeySize bytes long, which config.GenerateKey and
// config.LoadKey never return.
func OfKey(key ed25519.PrivateKey) peer.ID {
	if len(key) != ed25519.PrivateKeySize {
		panic(fmt.Sprintf("peerid.OfKey: key of %d bytes, want %d", len(key), ed25519.PrivateKeySize))
	}
	id, err := FromIssuer(chain.IssuerOf(key.Public().(ed25519.PublicKey)))
	if err != nil {
		panic("peerid.OfKey: " + err.Error()) // cannot happen for 32 bytes
	}
	return id
}
