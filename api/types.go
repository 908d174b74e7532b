package api

import (
	"context"
	"errors"
	"time"

	"github.com/credmesh/credmesh/records"
)

// Backend is the peer the API serves.
type Backend interface {
	// Submit converts and accepts records: payments and negative credit
	// events go on the peer's chain, every other credit event is kept
	// private (as ImportCredit with publish). errs[i] says why record i
	// was refused (nil: accepted and durable); a record whose key was
	// used before is refused with an error wrapping ErrDuplicate.
	Submit(ctx context.Context, recs []records.Record) (errs []error, err error)
	Status() Status
	Block(issuer string, height uint64) (*BlockView, error)
	// Report asks every member with the credit role about a subject
	// (members with the query role only: ErrForbidden otherwise).
	Report(ctx context.Context, req ReportRequest) (*ReportView, error)
	// Billing is the statement of a period, YYYY-MM.
	Billing(period string) (*BillingView, error)
	// ImportCredit keeps credit events private, or publishes the negative
	// ones; errs[i] says why record i was refused (an event ID used
	// before, private or published, is refused with an error wrapping
	// ErrDuplicate).
	ImportCredit(ctx context.Context, recs []records.Record, publish bool) ([]error, error)
	// Payment looks an order ID up in the local replica: every record
	// under it, each verified. Two or more records (of two or more
	// issuers) set Conflict.
	Payment(orderID string) (*PaymentLookup, error)
	// AckFork records that the fork of issuer (peer ID) was investigated;
	// the evidence stays. ErrNotFound: no evidence against it.
	AckFork(issuer, note string) (*ForkStatus, error)
}

// Errors a Backend returns that map to HTTP statuses.
var (
	ErrNotFound   = errors.New("not found")
	ErrBadRequest = errors.New("bad request")
	// ErrForbidden (HTTP 403): the genesis does not give this member the
	// role the request needs (a credit report needs the query role).
	ErrForbidden = errors.New("forbidden")
	ErrBusy      = errors.New("busy, retry later")
	// ErrConflict (HTTP 409): the request repeats what was done already
	// (a proposal ID used before, a second approval of one proposal, an
	// approval of one's own proposal), or an order ID under which records
	// of two or more issuers are held asks for one certificate.
	ErrConflict = errors.New("conflict")
	// ErrInsufficientStorage (HTTP 507): the peer's disk is too full to
	// accept more; nothing of the request was accepted.
	ErrInsufficientStorage = errors.New("insufficient storage")
)

// ErrDuplicate is wrapped by the refusal of a record whose key (order ID,
// event ID) was accepted before: its result has status "duplicate", not
// "refused", so that a client submitting a file again can tell "nothing
// to do" from a refusal without reading the message.
var ErrDuplicate = errors.New("duplicate")

// Status is GET /v1/status.
type Status struct {
	PeerID      string        `json:"peer_id"`
	Name        string        `json:"name"`
	Version     string        `json:"version"` // of the build the peer runs (credmesh version)
	Network     string        `json:"network"`
	GenesisHash string        `json:"genesis_hash"`
	ListenAddrs []string      `json:"listen_addrs"`
	Peers       int           `json:"peers"`
	Members     MemberCount   `json:"members"`
	Chains      []ChainStatus `json:"chains"`
	Syncing     []SyncTarget  `json:"syncing"`
	Pending     int           `json:"pending"`
	Counters    Counters      `json:"counters"`
	Store       StoreHealth   `json:"store"`
	Disk        *DiskStatus   `json:"disk,omitempty"` // nil when the store is not on disk
	// PendingLost is set once a damaged pending log was set aside.
	PendingLost *PendingLost `json:"pending_lost,omitempty"`
	// Recovery is the state of our own chain (see RecoveryStatus).
	Recovery *RecoveryStatus `json:"recovery,omitempty"`
	// Forks are the issuers proven to have signed two different blocks at
	// one height, each with whether an operator acknowledged it.
	Forks []ForkStatus `json:"forks"`
	// CreditSource is where credit queries are answered from, and its
	// health (see CreditSourceStatus).
	CreditSource *CreditSourceStatus `json:"credit_source,omitempty"`
	// Witnessing is the peer's cosigning and every other member as a
	// witness (witness_types.go).
	Witnessing *WitnessingStatus `json:"witnessing,omitempty"`
}

// ForkStatus is the equivocation evidence against one issuer: two headers
// it signed at one height. It stays forked for good; Acknowledged records
// that an operator investigated (credmesh evidence ack).
type ForkStatus struct {
	Issuer       string   `json:"issuer"` // peer ID
	Name         string   `json:"name"`
	Height       uint64   `json:"height"`
	Hashes       []string `json:"hashes"` // the two headers' hashes
	Acknowledged *ForkAck `json:"acknowledged,omitempty"`
	// ServedBy are the peers that served the evidence to a light client
	// (credmesh query payment); empty when the light client saw the two
	// headers itself, and in a peer's own answers.
	ServedBy []string `json:"served_by,omitempty"`
}

// ForkAck is an operator's note that a fork was investigated.
type ForkAck struct {
	At   time.Time `json:"at"`
	Note string    `json:"note"`
}

// AckRequest is POST /v1/forks/{issuer}/ack.
type AckRequest struct {
	Note string `json:"note"`
}

// StoreHealth is the integrity of the peer's database as its reads have
// found it since the peer started: once a read met corruption it stays
// unhealthy. The way back is in docs/OPERATIONS.md, "Store corruption".
type StoreHealth struct {
	Healthy     bool   `json:"healthy"`
	Error       string `json:"error,omitempty"`       // the first corruption met
	Corruptions uint64 `json:"corruptions,omitempty"` // reads that met corruption
}

// DiskStatus is the free space of the peer's data directory and what it
// refuses because of it (docs/OPERATIONS.md, "Disk space").
type DiskStatus struct {
	// FreeBytes is the space available, less what the database has yet
	// to flush.
	FreeBytes  int64 `json:"free_bytes"`
	TotalBytes int64 `json:"total_bytes"`
	// ReserveBytes is store.min_free_mb: below it submissions get 507.
	ReserveBytes int64 `json:"reserve_bytes"`
	// ReplicaFloorBytes is store.replica_min_free_mb: below it other
	// members' blocks are not stored either.
	ReplicaFloorBytes int64 `json:"replica_floor_bytes"`
	// BallastBytes is the size of data/ballast now (0: deleted or none).
	BallastBytes int64 `json:"ballast_bytes"`
	// Low: submissions are refused. ReplicasPaused: others' blocks too.
	Low            bool `json:"low"`
	ReplicasPaused bool `json:"replicas_paused"`
	// ReadOnly: the peer started on a disk with no room for its database,
	// which is open read-only: everything is refused (Low and
	// ReplicasPaused are set) until space is freed and the peer restarted.
	ReadOnly bool `json:"read_only"`
	// Error is set when the free space could not be read.
	Error string `json:"error,omitempty"`
}

// PendingLost is what setting damaged pending logs aside lost: records
// this peer acknowledged that can never be sealed.
type PendingLost struct {
	Records uint64    `json:"records"`
	At      time.Time `json:"at"`       // when the last damaged log was set aside
	MovedTo string    `json:"moved_to"` // where its segments are kept
}

// RecoveryStatus is whether the peer signs its own chain: "recovering"
// (asking members for the blocks its key signed; submissions get 503),
// "sealing", or "halted" (evidence against its own key; nothing is signed
// again).
type RecoveryStatus struct {
	State string `json:"state"`
	// Answered of Needed members have answered that they hold nothing of
	// our chain above our head, in the current (or last) recovery.
	Answered int `json:"answered"`
	Needed   int `json:"needed"`
	// Blocks of our chain the current (or last) recovery stored.
	Blocks int `json:"blocks_recovered"`
	// Runs is how many recoveries have started since the peer started.
	Runs            int    `json:"runs"`
	TrustLocalChain bool   `json:"trust_local_chain,omitempty"`
	Message         string `json:"message,omitempty"`
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
	// Queries this peer's query server has decoded: payment lookups (each
	// lookup hash of a batch counts) and credit queries.
	PaymentLookups uint64 `json:"payment_lookups"`
	CreditQueries  uint64 `json:"credit_queries"`
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
	Accepted   int            `json:"accepted"`
	Refused    int            `json:"refused"`    // refusals other than duplicates
	Duplicates int            `json:"duplicates"` // records accepted before
	Results    []SubmitResult `json:"results"`
}

// Per-record statuses of a SubmitResult.
const (
	StatusAccepted  = "accepted"
	StatusRefused   = "refused"
	StatusDuplicate = "duplicate" // accepted before (ErrDuplicate): nothing to do
)

// SubmitResult is one record's outcome.
type SubmitResult struct {
	Index  int    `json:"index"`
	Status string `json:"status"`          // StatusAccepted, StatusRefused or StatusDuplicate
	Error  string `json:"error,omitempty"` // why, when refused or a duplicate
}

// ErrorBody is every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the "error" member of an error response.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ReportRequest is the body of POST /v1/report.
type ReportRequest struct {
	Subject    records.Subject `json:"subject"`
	Purpose    string          `json:"purpose"` // loan_application, post_loan_review, ...
	ConsentRef string          `json:"consent_ref"`
}

// ReportView answers POST /v1/report.
type ReportView struct {
	QueryID    string         `json:"query_id"`
	SubjectRef string         `json:"subject_ref"`
	Purpose    string         `json:"purpose"`
	ElapsedMS  int64          `json:"elapsed_ms"`
	Summary    ReportSummary  `json:"summary"`
	Members    []ReportMember `json:"members"`
	// Accounts are every account the answers hold (report_history.go).
	Accounts []ReportAccount `json:"accounts"`
	// Disputes are the subject's disputes held in this peer's replica,
	// each with its statement and state (异议标注, 本人声明); an
	// overdue one is unanswered past its deadline.
	Disputes []DisputeView `json:"disputes,omitempty"`
}

// ReportSummary is the combined picture of a subject.
type ReportSummary struct {
	Asked              int               `json:"asked"`
	Answered           int               `json:"answered"`
	Truncated          bool              `json:"truncated,omitempty"`
	ActiveAccounts     int               `json:"active_accounts"`
	Outstanding        map[string]uint64 `json:"outstanding_minor"`
	WorstDaysOverdue   uint32            `json:"worst_days_overdue"`
	ActiveLenders      int               `json:"active_lenders"`
	LendingQueriers30d int               `json:"lending_queriers_30d"`
	LendingQueriers90d int               `json:"lending_queriers_90d"`
	// BorrowingWindows: 7, 30, 90, 180 and 365 days (report_history.go).
	BorrowingWindows []BorrowingWindow `json:"borrowing_windows"`
}

// ReportMember is one member's part of a report.
type ReportMember struct {
	Member         string      `json:"member"`
	Name           string      `json:"name"`
	Outcome        string      `json:"outcome"` // answered, timeout, unreachable, refused, unavailable (its credit source), invalid_answer
	Error          string      `json:"error,omitempty"`
	LatencyMS      int64       `json:"latency_ms"`
	Records        int         `json:"records"`
	PrivateRecords int         `json:"private_records"`
	Events         []EntryView `json:"events,omitempty"`
	// Forked: this peer holds evidence that the member signed two blocks
	// at one height; its chain records are not to be relied on.
	Forked bool `json:"forked,omitempty"`
}

// BillingView answers GET /v1/billing?period=YYYY-MM.
type BillingView struct {
	Period          string            `json:"period"`
	Lines           []BillingLine     `json:"lines"`
	TotalPayable    map[string]uint64 `json:"total_payable"`
	TotalReceivable map[string]uint64 `json:"total_receivable"`
}

// BillingLine is one member's queries and fees in a period.
type BillingLine struct {
	Member        string            `json:"member"`
	Name          string            `json:"name"`
	QueriesMade   int               `json:"queries_made"`
	QueriesServed int               `json:"queries_served"`
	Payable       map[string]uint64 `json:"payable"`
	Receivable    map[string]uint64 `json:"receivable"`
	Net           map[string]int64  `json:"net"`
}

// ImportRequest is the body of POST /v1/credit/import.
type ImportRequest struct {
	Records []records.Record `json:"records"`
	Publish bool             `json:"publish"`
}

// PaymentLookup is GET /v1/payments/{order_id}: every record under the
// order ID, verified, sorted by issuer key. With records of two or more
// issuers Conflict is set, the status is 409 and Error says so; no record
// is to be preferred. Forks is the equivocation evidence held against the
// records' issuers (their records have Forked set), the same evidence the
// peer serves light clients with its answers. `credmesh query payment
// --json` prints the same shape, with the evidence its peers served.
type PaymentLookup struct {
	OrderID  string        `json:"order_id"`
	Records  []PaymentView `json:"records"`
	Conflict bool          `json:"conflict"`
	Forks    []ForkStatus  `json:"forks"`
	Error    *ErrorDetail  `json:"error,omitempty"`
}

// PaymentView is an opened, verified payment record.
type PaymentView struct {
	OrderID     string    `json:"order_id"`
	Issuer      string    `json:"issuer"`
	IssuerName  string    `json:"issuer_name,omitempty"`
	Height      uint64    `json:"height"`
	BlockHash   string    `json:"block_hash"`
	Category    string    `json:"category"`
	AmountMinor uint64    `json:"amount_minor"`
	Currency    string    `json:"currency"`
	Period      string    `json:"period"`
	PaidAt      time.Time `json:"paid_at"` // in the UTC offset it was submitted in
	Channel     string    `json:"channel,omitempty"`
	Region      string    `json:"region,omitempty"`
	Item        string    `json:"item,omitempty"`
	ReceiptNo   string    `json:"receipt_no,omitempty"`
	Verified    bool      `json:"verified"`
	// Forked: the issuer is proven to have signed two blocks at one
	// height; its records are not to be relied on.
	Forked bool     `json:"forked,omitempty"`
	Peer   string   `json:"peer,omitempty"`  // the first peer that served the record to a light client
	Peers  []string `json:"peers,omitempty"` // every peer that served it to a light client
	// Witnesses: the cosigned heads covering the block, as a light client
	// verified them or a certificate proves them.
	Witnesses *WitnessEvidence `json:"witnesses,omitempty"`
	// Withdrawn: the issuer withdrew the record (the last entry of
	// History); a replaced record shows its latest replacement's fields.
	Withdrawn bool `json:"withdrawn,omitempty"`
	// History lists the issuer's corrections of the record, oldest first.
	History []CorrectionView `json:"history,omitempty"`
}
