package api

import (
	"context"
	"errors"
	"time"

	"github.com/credmesh/credmesh/records"
)

// Backend is the peer the API serves.
type Backend interface {
	// Submit converts and accepts records; errs[i] says why record i was
	// refused (nil: accepted and durable).
	Submit(ctx context.Context, recs []records.Record) (errs []error, err error)
	Status() Status
	Block(issuer string, height uint64) (*BlockView, error)
}

// Errors a Backend returns that map to HTTP statuses.
var (
	ErrNotFound   = errors.New("not found")
	ErrBadRequest = errors.New("bad request")
	ErrBusy       = errors.New("busy, retry later")
)

// Status is GET /v1/status.
type Status struct {
	PeerID      string        `json:"peer_id"`
	Name        string        `json:"name"`
	Network     string        `json:"network"`
	GenesisHash string        `json:"genesis_hash"`
	ListenAddrs []string      `json:"listen_addrs"`
	Peers       int           `json:"peers"`
	Members     MemberCount   `json:"members"`
	Chains      []ChainStatus `json:"chains"`
	Syncing     []SyncTarget  `json:"syncing"`
	Pending     int           `json:"pending"`
	Counters    Counters      `json:"counters"`
}

// MemberCount is how many members exist and how many we are connected to.
type MemberCount struct {
	Total     int `json:"total"`
	Connected int `json:"connected"`
}

// ChainStatus is one chain's head as we hold it.
type ChainStatus struct {
	Issuer string    `json:"issuer"` // peer ID
	Name   string    `json:"name"`
	Height uint64    `json:"height"`
	Hash   string    `json:"hash"`
	Time   time.Time `json:"time"`
	Forked bool      `json:"forked,omitempty"`
}

// SyncTarget is a chain being caught up.
type SyncTarget struct {
	Issuer string `json:"issuer"`
	Target uint64 `json:"target"`
}

// Counters are the peer's running totals.
type Counters struct {
	RecordsAccepted uint64 `json:"records_accepted"`
	RecordsRefused  uint64 `json:"records_refused"`
	BlocksSealed    uint64 `json:"blocks_sealed"`
	BlocksReceived  uint64 `json:"blocks_received"`
	BlocksStored    uint64 `json:"blocks_stored"`
	BlocksRejected  uint64 `json:"blocks_rejected"`
	GossipDrops     uint64 `json:"gossip_drops"`
	SyncedBlocks    uint64 `json:"synced_blocks"`
}

// BlockView is GET /v1/chains/{issuer}/blocks/{height}.
type BlockView struct {
	Issuer      string      `json:"issuer"`
	Height      uint64      `json:"height"`
	Hash        string      `json:"hash"`
	PrevHash    string      `json:"prev_hash,omitempty"`
	Time        time.Time   `json:"time"`
	EntriesRoot string      `json:"entries_root"`
	Entries     []EntryView `json:"entries"`
}

// EntryView describes one entry; sealed payments show only their lookup
// hash and size.
type EntryView struct {
	Kind    string `json:"kind"`
	Key     string `json:"key"`
	Bytes   int    `json:"bytes"`
	Summary any    `json:"summary,omitempty"`
}

// SubmitRequest is the body of POST /v1/records.
type SubmitRequest struct {
	Records []records.Record `json:"records"`
}

// SubmitResponse answers POST /v1/records.
type SubmitResponse struct {
	Accepted int            `json:"accepted"`
	Refused  int            `json:"refused"`
	Results  []SubmitResult `json:"results"`
}

// SubmitResult is one record's outcome.
type SubmitResult struct {
	Index  int    `json:"index"`
	Status string `json:"status"` // accepted or refused
	Error  string `json:"error,omitempty"`
}

// ErrorBody is every error response.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}
