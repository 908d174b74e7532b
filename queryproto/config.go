package queryproto

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/credmesh/credmesh/creditsource"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/chain/witness"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p/core/host"
)

// ReceiptSink appends entries to the responder's own chain and returns once
// each is durable or refused: errs[i] is entry i's refusal, err is set when
// nothing could be judged. chain/builder.Builder implements it. A receipt
// the sink already holds (the same signed query: the querier asked again)
// is refused with an error wrapping chain.ErrAlreadyAccepted, and the
// server answers without charging a second time; a receipt of another
// query under a query ID the querier used before is refused with one
// wrapping chain.ErrQueryIDUsed, and the server answers BAD_REQUEST; one
// wrapping chain.ErrPoolFull is answered UNAVAILABLE. The sink checks every
// receipt as the chain's validation does (chain.CheckEntry).
type ReceiptSink interface {
	Submit(ctx context.Context, entries []*chainpb.Entry) (errs []error, err error)
}

// Config configures a Server.
type Config struct {
	// Host is the member's libp2p host (p2p.Network.Host()); the server
	// registers p2p.QueryProtocol(NetworkID) on it.
	Host host.Host
	// NetworkID names the network (the genesis's).
	NetworkID string
	// Members are the genesis members with their roles: only members with
	// chain.RoleQuery may make credit queries, and the server answers them
	// only if it has chain.RoleCredit itself.
	Members chain.Members
	// Store is the peer's replica of every chain, and its private records.
	Store *store.Store
	// Source holds the member's private credit data, asked on every
	// credit query (the standard data interface, package creditsource).
	// Default: the private records of Store.
	Source creditsource.Source
	// Key is the institution's key; it signs credit answers.
	Key ed25519.PrivateKey
	// Receipts appends query receipts to our own chain. Without it credit
	// queries are answered UNAVAILABLE: no answer goes out unrecorded.
	Receipts ReceiptSink
	// FeeMinor is the fee a credit query is charged, in minor units of
	// FeeCurrency (0 to chain.MaxAmountMinor): the genesis's
	// (chain.Params.QueryFeeMinor), which every receipt must carry. A
	// member's queries of itself are not charged.
	FeeMinor uint64
	// FeeCurrency is the fee's ISO 4217 code (chain.Params.FeeCurrency);
	// required with a fee.
	FeeCurrency string
	// Evidence, if set, returns the equivocation evidence the member holds
	// against an issuer, or nil (p2p.Network.EvidenceOf). Every payment
	// answer carries the evidence against each issuer of its proofs
	// (docs/PROTOCOL.md 11.4). It is called once per issuer of every
	// answer, so it must be cheap (a map lookup) and must not block.
	Evidence func(chain.IssuerID) *chain.Evidence
	// Decisions, if set, returns the proofs of the membership decisions
	// every payment answer carries (decisions.go); nil while there are
	// none. It is called once per answer and must be cheap (cached).
	Decisions func() []*chain.Proof
	// Epoch, if set, gives the members and parameters in force at a time
	// (membership decisions, epoch.go): credit queries are judged, and
	// charged the fee, of the epoch at the query's answer; Members,
	// FeeMinor and FeeCurrency are then only the genesis's.
	Epoch func(time.Time) (chain.Members, chain.Params)
	// Cosignatures, if set, returns the witnesses' cosignatures of chain
	// iss at height minHeight or above that the member verified
	// (p2p.Network.Cosignatures); every payment answer carries those that
	// cover its proofs' blocks (docs/PROTOCOL.md 17.5). It must be cheap
	// and must not block.
	Cosignatures func(iss chain.IssuerID, minHeight uint64) []witness.Cosignature

	// PeerRate and PeerBurst bound one peer's requests, a member's or
	// anyone else's: tokens per second and bucket size (defaults
	// DefaultPeerRate 200 and DefaultPeerBurst 400).
	PeerRate  float64
	PeerBurst int
	// MembersRate and MembersBurst bound the requests of all members
	// together (defaults 20,000 and 20,000). Only members draw on this
	// bucket, so no load of other peers can spend it.
	MembersRate  float64
	MembersBurst int
	// ClientsRate and ClientsBurst bound the requests of every peer that
	// is not a member together: light clients, and anyone else (defaults
	// 20,000 and 20,000).
	ClientsRate  float64
	ClientsBurst int
	// Timeout is how long one stream may take, from opening to the last
	// byte answered (default ServerTimeout, 10 s).
	Timeout time.Duration

	// Observe, if set, is told of every decoded-or-not request: its
	// operation (heads, payment, payment_batch, credit_query, invalid), the status
	// answered and how long the server took (metrics). It must not block.
	Observe func(op string, status querypb.Status, took time.Duration)

	// Now reads the clock (default time.Now): rate limits, query freshness,
	// answer times.
	Now    func() time.Time
	Logger *slog.Logger
}

// ErrConfig is wrapped by every error of Config.Validate.
var ErrConfig = errors.New("queryproto: invalid configuration")

func (c *Config) setDefaults() {
	if c.PeerRate <= 0 {
		c.PeerRate = DefaultPeerRate
	}
	if c.PeerBurst <= 0 {
		c.PeerBurst = DefaultPeerBurst
	}
	if c.MembersRate <= 0 {
		c.MembersRate = DefaultMembersRate
	}
	if c.MembersBurst <= 0 {
		c.MembersBurst = DefaultMembersBurst
	}
	if c.ClientsRate <= 0 {
		c.ClientsRate = DefaultClientsRate
	}
	if c.ClientsBurst <= 0 {
		c.ClientsBurst = DefaultClientsBurst
	}
	if c.Timeout <= 0 {
		c.Timeout = ServerTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Source == nil && c.Store != nil {
		c.Source = creditsource.NewStore(c.Store)
	}
}

// Validate checks the required fields and the fee.
func (c *Config) Validate() error {
	switch {
	case c.Host == nil:
		return fmt.Errorf("%w: Host is required", ErrConfig)
	case c.Store == nil:
		return fmt.Errorf("%w: Store is required", ErrConfig)
	case len(c.Key) != ed25519.PrivateKeySize:
		return fmt.Errorf("%w: an Ed25519 Key is required", ErrConfig)
	case len(c.Members) == 0:
		return fmt.Errorf("%w: Members are required", ErrConfig)
	}
	if err := chain.CheckNetworkID(c.NetworkID); err != nil {
		return fmt.Errorf("%w: NetworkID: %v", ErrConfig, err)
	}
	if c.Receipts != nil {
		// The fee must be one a genesis can carry.
		p := chain.DefaultParams(c.NetworkID)
		p.QueryFeeMinor, p.FeeCurrency = c.FeeMinor, c.FeeCurrency
		if err := p.Validate(); err != nil {
			return fmt.Errorf("%w: fee: %v", ErrConfig, err)
		}
	}
	return nil
}
