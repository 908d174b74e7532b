package api

import (
	"time"

	"github.com/credmesh/credmesh/records"
)

// Explorer is what the explorer page reads beyond Backend. The server
// asks its Backend for it; a Backend without it answers these endpoints
// 404 not_found.
type Explorer interface {
	// Blocks lists a chain's blocks, newest first: limit of them below
	// height before (0: from the head).
	Blocks(issuer string, before uint64, limit int) (*BlockList, error)
	// BlockByHash finds a block of any chain by its hash.
	BlockByHash(hash string) (*BlockView, error)
	// EntriesByKey finds the entries with an entry key, on every chain.
	EntriesByKey(key string) (*EntryLookup, error)
	// Proofs is what a light client gets for a lookup hash: every proof
	// and the evidence against their issuers, as bytes.
	Proofs(lookup string) (*ProofBundle, error)
	// Genesis is the genesis file's exact bytes.
	Genesis() []byte
	// NetworkView is every member as this peer sees it.
	NetworkView() *NetworkView
	// SubjectQueries lists the query receipts about a subject.
	SubjectQueries(s records.Subject) (*SubjectQueries, error)
}

// BlockList is GET /v1/chains/{issuer}/blocks.
type BlockList struct {
	Issuer string         `json:"issuer"`
	Name   string         `json:"name"`
	Head   uint64         `json:"head"`
	Blocks []BlockSummary `json:"blocks"`
	// NextBefore is the before of the next page; 0 when this page
	// reaches height 1.
	NextBefore uint64 `json:"next_before,omitempty"`
}

// BlockSummary is one block of a list: its header and how many entries
// of each kind it holds.
type BlockSummary struct {
	Height   uint64         `json:"height"`
	Hash     string         `json:"hash"`
	PrevHash string         `json:"prev_hash,omitempty"`
	Time     time.Time      `json:"time"`
	Entries  int            `json:"entries"`
	Kinds    map[string]int `json:"kinds"`
}

// EntryLookup is GET /v1/entries/{key}: every chain's entry with the key.
type EntryLookup struct {
	Key     string          `json:"key"`
	Entries []EntryLocation `json:"entries"`
}

// EntryLocation is an entry and where it sits.
type EntryLocation struct {
	Issuer    string    `json:"issuer"`
	Name      string    `json:"name"`
	Height    uint64    `json:"height"`
	Index     uint32    `json:"index"`
	BlockHash string    `json:"block_hash"`
	Entry     EntryView `json:"entry"`
}

// ProofBundle is GET /v1/proofs/{lookup}: the PaymentResponse of
// docs/PROTOCOL.md 11.4 in JSON, every byte string in hex, for a verifier
// that trusts only the genesis.
type ProofBundle struct {
	Lookup   string          `json:"lookup"`
	Proofs   []ProofBytes    `json:"proofs"`
	Evidence []EvidenceBytes `json:"evidence"`
}

// ProofBytes is one inclusion proof (PROTOCOL.md 5.6).
type ProofBytes struct {
	Entry  string      `json:"entry"`
	Index  uint32      `json:"index"`
	Path   []string    `json:"path"`
	Header HeaderBytes `json:"header"`
}

// HeaderBytes is a SignedHeader: the encoded Header and its signature.
type HeaderBytes struct {
	Header    string `json:"header"`
	Signature string `json:"signature"`
}

// EvidenceBytes is two headers of one issuer at one height.
type EvidenceBytes struct {
	A HeaderBytes `json:"a"`
	B HeaderBytes `json:"b"`
}

// NetworkView is GET /v1/network.
type NetworkView struct {
	Self        string          `json:"self"`
	Network     string          `json:"network"`
	GenesisHash string          `json:"genesis_hash"`
	At          time.Time       `json:"at"`
	Members     []NetworkMember `json:"members"`
	Forks       []ForkStatus    `json:"forks"`
	Counters    Counters        `json:"counters"`
	Pending     int             `json:"pending"`
}

// NetworkMember is one genesis member as this peer sees it.
type NetworkMember struct {
	PeerID    string   `json:"peer_id"`
	Name      string   `json:"name"`
	Roles     []string `json:"roles"`
	Self      bool     `json:"self"`
	Connected bool     `json:"connected"`
	// LatencyMS is the round trip measured on the connection; absent
	// when none was measured.
	LatencyMS *float64 `json:"latency_ms,omitempty"`
	// Height and Hash are this peer's replica of the member's chain (0:
	// none held yet).
	Height uint64 `json:"height"`
	Hash   string `json:"hash,omitempty"`
	// Target is the height a verified head of the chain showed, when
	// above ours; Lag is Target − Height.
	Target uint64 `json:"target,omitempty"`
	Lag    uint64 `json:"lag"`
	// Sync is "in_sync", "syncing" or "no_blocks".
	Sync   string `json:"sync"`
	Forked bool   `json:"forked"`
}

// SubjectRequest is POST /v1/subjects/queries.
type SubjectRequest struct {
	Subject records.Subject `json:"subject"`
}

// SubjectQueries answers POST /v1/subjects/queries: who asked about the
// subject, when and why, as the members' receipts record it.
type SubjectQueries struct {
	SubjectRef string        `json:"subject_ref"`
	Queries    []QueryRecord `json:"queries"`
}

// QueryRecord is one receipt: a member answered a querier's signed query.
type QueryRecord struct {
	QueryID         string    `json:"query_id"`
	Querier         string    `json:"querier"`
	QuerierName     string    `json:"querier_name"`
	Answerer        string    `json:"answerer"`
	AnswererName    string    `json:"answerer_name"`
	Purpose         string    `json:"purpose"`
	QueriedAt       time.Time `json:"queried_at"`
	RecordsReturned uint32    `json:"records_returned"`
	FeeMinor        uint64    `json:"fee_minor"`
	FeeCurrency     string    `json:"fee_currency,omitempty"`
	Height          uint64    `json:"height"`
	Index           uint32    `json:"index"`
}
