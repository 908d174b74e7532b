package p2p

import (
	"crypto/ed25519"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/config"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// PeerIDOf returns the libp2p peer ID of an issuer: an institution's peer ID
// is derived from the same Ed25519 key that signs its blocks.
func PeerIDOf(iss chain.IssuerID) (peer.ID, error) { return config.PeerIDFromIssuer(iss) }

// IssuerOf returns the issuer ID behind a member's peer ID.
func IssuerOf(id peer.ID) (chain.IssuerID, error) { return config.IssuerFromPeerID(id) }

// hostKey converts the institution's key for libp2p.
func hostKey(key ed25519.PrivateKey) (crypto.PrivKey, error) {
	return crypto.UnmarshalEd25519PrivateKey(key)
}
