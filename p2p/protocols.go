package p2p

import (
	"time"

	"github.com/libp2p/go-libp2p/core/protocol"
)

// Protocol and topic names. Every one carries the network ID, so two
// networks never mix.

// StatusProtocol exchanges genesis hash and chain heads.
func StatusProtocol(network string) protocol.ID {
	return protocol.ID("/credmesh/" + network + "/status/1")
}

// SyncProtocol serves ranges of blocks.
func SyncProtocol(network string) protocol.ID {
	return protocol.ID("/credmesh/" + network + "/sync/1")
}

// QueryProtocol is the public query protocol (package queryproto).
func QueryProtocol(network string) protocol.ID {
	return protocol.ID("/credmesh/" + network + "/query/1")
}

// DHTPrefix is the private DHT's protocol prefix.
func DHTPrefix(network string) protocol.ID {
	return protocol.ID("/credmesh/" + network)
}

// BlocksTopic carries one block per message.
func BlocksTopic(network string) string { return "/credmesh/" + network + "/blocks/1" }

// EvidenceTopic carries equivocation evidence.
func EvidenceTopic(network string) string { return "/credmesh/" + network + "/evidence/1" }

// Rendezvous is the DHT key members advertise and look each other up by.
func Rendezvous(network string) string { return "credmesh/" + network + "/members" }

// Limits of the status and sync protocols.
const (
	MaxStatusBytes      = 1 << 20  // a status with thousands of chains fits
	MaxStatusEvidence   = 64       // evidence per status: a sample if we hold more
	MaxSyncRequestBytes = 256      // issuer, height, count
	MaxSyncBlocks       = 128      // blocks per sync response
	MaxSyncBytes        = 16 << 20 // bytes per sync response
	StatusTimeout       = 10 * time.Second
	SyncTimeout         = 30 * time.Second
)
