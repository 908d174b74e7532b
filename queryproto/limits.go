package queryproto

import (
	"time"

	"github.com/credmesh/credmesh/chain"
)

// Limits of the query protocol. docs/PROTOCOL.md states them as the wire
// contract.
const (
	// MaxRequestBytes caps an encoded Request (the frame's length prefix
	// excluded).
	MaxRequestBytes = 64 << 10
	// MaxResponseBytes caps an encoded Response.
	MaxResponseBytes = 4 << 20
	// ServerTimeout is how long a server gives one stream, from its
	// opening to the last byte of the response.
	ServerTimeout = 10 * time.Second
	// DefaultClientTimeout bounds a request whose context has no deadline.
	DefaultClientTimeout = 10 * time.Second
	// MaxQueryAge is how far a credit query's time may lie from the
	// responder's clock, either way (chain.MaxQueryAge: a receipt's query
	// may be at most that far after its block).
	MaxQueryAge = chain.MaxQueryAge

	// maxEntryBytes bounds one entry in a proof or answer: the largest
	// MaxEntryBytes any network's parameters allow.
	maxEntryBytes = 64 << 10
	// maxPathLen bounds an audit path: a block has at most 65536 entries,
	// so 16 levels; anything far beyond is malformed.
	maxPathLen = 64
	// maxPaymentProofs bounds the proofs of one payment answer: one per
	// chain that holds the lookup hash.
	maxPaymentProofs = 1024
	// MaxBatchLookups caps the lookup hashes of one PaymentBatchRequest.
	// 256 keep the request (34 bytes a hash) under the 16 KiB a server
	// reads without reserving memory, the typical answer (1.2 KiB a
	// record, each header sent once) near 300 KiB, far under the response
	// cap even when a few hashes have several records, and a batch inside
	// the default per-peer burst (400 tokens; a batch takes one per hash).
	MaxBatchLookups = 256

	// answerBudget is how many bytes of records an answer may carry, with
	// room left for the response around it.
	answerBudget = MaxResponseBytes - 64<<10
)

// Default rate limits of a server: rates in requests per second, bursts
// in requests. Every peer has a bucket of its own; members together share
// the members' bucket, and every other peer (light clients) the clients'
// bucket (see ratelimit.go).
const (
	DefaultPeerRate     = 200
	DefaultPeerBurst    = 400
	DefaultMembersRate  = 20_000
	DefaultMembersBurst = 20_000
	DefaultClientsRate  = 20_000
	DefaultClientsBurst = 20_000
)
