package queryproto

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/governance"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/chain/witness"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
)

// Genesis is what a light client trusts: the network, its members and
// where to find them.
type Genesis struct {
	NetworkID string
	Members   chain.Members
	Bootstrap []peer.AddrInfo
	// Governance, if set, is the genesis's epoch 0 of membership
	// decisions: payment answers' decisions (decisions.go) then give the
	// members at each record's time. Without it the genesis members hold
	// for ever.
	Governance *governance.Genesis
}

// Defaults of a light client's lookups (docs/PROTOCOL.md 11.4.1).
const (
	// DefaultPeerTimeout bounds one request to one peer.
	DefaultPeerTimeout = 5 * time.Second
	// DefaultHedgeDelay is how long a lookup waits for an answer before
	// it asks the next peer as well.
	DefaultHedgeDelay = 300 * time.Millisecond
	// DefaultAnswers is how many peers' verified answers a lookup wants.
	DefaultAnswers = 2
	// DefaultMaxPeers bounds the peers one lookup asks.
	DefaultMaxPeers = 4
)

// lookupSettings tune LookupPayment; LightOption sets them.
type lookupSettings struct {
	peerTimeout time.Duration
	hedgeDelay  time.Duration
	answers     int
	maxPeers    int
	// witnesses is the cosignatures a record's block needs (witnessed.go);
	// negative until NewLightClient takes the default.
	witnesses int
}

// LightOption changes one setting of a LightClient's lookups.
type LightOption func(*lookupSettings)

// WithPeerTimeout bounds each request to one peer (default
// DefaultPeerTimeout); it must be positive.
func WithPeerTimeout(d time.Duration) LightOption {
	return func(s *lookupSettings) { s.peerTimeout = d }
}

// WithHedgeDelay sets how long a lookup waits for an answer before it asks
// the next peer too (default DefaultHedgeDelay); 0 asks every peer at once.
func WithHedgeDelay(d time.Duration) LightOption {
	return func(s *lookupSettings) { s.hedgeDelay = d }
}

// WithAnswers sets how many distinct peers' verified answers a lookup wants
// (default DefaultAnswers; fewer when fewer peers can be asked).
func WithAnswers(n int) LightOption {
	return func(s *lookupSettings) { s.answers = n }
}

// WithMaxPeers bounds how many peers one lookup asks (default
// DefaultMaxPeers); it must be at least the answers wanted.
func WithMaxPeers(n int) LightOption {
	return func(s *lookupSettings) { s.maxPeers = n }
}

// LightClient looks payment records up from any peer and verifies them
// against the genesis alone. It stores no chain. It is safe for concurrent
// use.
type LightClient struct {
	host    host.Host
	genesis Genesis
	client  *Client
	members map[peer.ID]bool
	set     lookupSettings
	// verified are the headers whose signatures checked (headercache.go).
	verified *headerCache
}

// NewLightClient returns a light client on h, a host made by p2p.New with
// a nil Store (DHT client mode).
func NewLightClient(h host.Host, g Genesis, opts ...LightOption) (*LightClient, error) {
	if err := chain.CheckNetworkID(g.NetworkID); err != nil {
		return nil, fmt.Errorf("%w: NetworkID: %v", ErrConfig, err)
	}
	if len(g.Members) == 0 {
		return nil, fmt.Errorf("%w: the genesis has no members", ErrConfig)
	}
	set := lookupSettings{peerTimeout: DefaultPeerTimeout, hedgeDelay: DefaultHedgeDelay, answers: DefaultAnswers, maxPeers: DefaultMaxPeers, witnesses: 0}
	for _, o := range opts {
		o(&set)
	}
	if set.witnesses < 0 {
		set.witnesses = DefaultWitnesses(len(g.Members))
	}
	switch {
	case set.witnesses > len(g.Members)-1:
		return nil, fmt.Errorf("%w: %d witnesses wanted, but a record's block can be cosigned by at most the %d members other than its issuer", ErrConfig, set.witnesses, len(g.Members)-1)
	case set.peerTimeout <= 0:
		return nil, fmt.Errorf("%w: the per-peer timeout must be positive, not %s", ErrConfig, set.peerTimeout)
	case set.hedgeDelay < 0:
		return nil, fmt.Errorf("%w: the hedge delay must not be negative, not %s", ErrConfig, set.hedgeDelay)
	case set.answers < 1:
		return nil, fmt.Errorf("%w: a lookup wants at least 1 answer, not %d", ErrConfig, set.answers)
	case set.maxPeers < set.answers:
		return nil, fmt.Errorf("%w: a lookup that wants %d answers must be allowed to ask at least %d peers, not %d", ErrConfig, set.answers, set.answers, set.maxPeers)
	}
	lc := &LightClient{host: h, genesis: g, client: NewClient(h, g.NetworkID), members: make(map[peer.ID]bool), set: set,
		verified: newHeaderCache(DefaultVerifiedHeaders)}
	for iss := range g.Members {
		id, err := peerid.FromIssuer(iss)
		if err != nil {
			return nil, fmt.Errorf("%w: member %s: %v", ErrConfig, iss.Short(), err)
		}
		lc.members[id] = true
	}
	for _, ai := range g.Bootstrap {
		h.Peerstore().AddAddrs(ai.ID, ai.Addrs, peerstore.PermanentAddrTTL)
	}
	return lc, nil
}

// Payment is a verified payment record.
type Payment struct {
	Record *chainpb.PaymentRecord
	Issuer chain.IssuerID
	Height uint64
	Index  uint32
	Header *chain.SignedHeader // the issuer's signed header that proves it
	Peer   peer.ID             // the first peer that served it
	Peers  []peer.ID           // every peer that served it, Peer first
	// Forked says its issuer equivocated (LookupResult.Forks): the record
	// verified, but is not to be relied on.
	Forked bool
	// Proof is the proof it was verified by: the entry as in its block,
	// its audit path and Header (what an offline certificate carries).
	Proof *chain.Proof
	// Witnessed are the heads covering its block with the cosignatures
	// the peers served, each verified (those of every peer that served
	// it; a witness may appear in more than one).
	Witnessed []WitnessedHead
	// Corrections are the issuer's corrections of the record, each
	// verified with its own proof, oldest first; every peer's are
	// merged, so a peer that withholds one cannot hide it from the
	// others' answers. Current is the record as it stands.
	Corrections []Correction
}

// WitnessedHead is a head covering a record's block and the verified
// cosignatures of members other than its issuer of it.
type WitnessedHead struct {
	Head         *chain.SignedHeader // nil: the record's block itself
	HistoryPath  []chain.Hash        // the block's path into Head's history
	Cosignatures []witness.Cosignature
}

// LookupResult is everything one lookup learned.
type LookupResult struct {
	OrderID string
	// Payments are the verified records every answering peer served,
	// merged (one per issuer, height, index and header hash) and sorted
	// by issuer key, height, index.
	Payments []Payment
	// Answered are the peers whose answer held records that verified,
	// NotFound those that answered NOT_FOUND, in the order they answered.
	Answered []peer.ID
	NotFound []peer.ID
	// Behind are records a peer left out because it does not hold their
	// block (yet): not an error.
	Behind []Lag
	// Forks are the issuers of Payments seen to equivocate, sorted by
	// issuer key: from evidence a peer served (verified), or from two
	// headers the lookup saw itself. Their records are marked Forked.
	Forks []Fork
	// Failed are peers that gave no usable answer: timed out, unreachable,
	// refused with a status, or cancelled once enough peers had answered.
	// Failed checks are not here: they are the lookup's error.
	Failed []PeerFailure
}

// Lag is a record a peer left out because it was behind: its signed head
// of the issuer's chain is below the record's block, or it served the
// record when asked again.
type Lag struct {
	Peer     peer.ID
	Issuer   chain.IssuerID
	Height   uint64 // the record's block
	Head     uint64 // the peer's signed head of the issuer's chain; 0 when it holds none
	CaughtUp bool   // it served the record when asked again
}

// PeerFailure is a peer that gave no usable answer, and why.
type PeerFailure struct {
	Peer peer.ID
	Err  error
}

// LookupPayment is Lookup from one peer (from), or from any peers when
// from is empty; it returns the verified record (one: a lookup that finds
// records of two issuers fails with a *ConflictError that carries them
// all).
func (lc *LightClient) LookupPayment(ctx context.Context, orderID string, from peer.ID) ([]Payment, error) {
	var ps []peer.ID
	if from != "" {
		ps = []peer.ID{from}
	}
	res, err := lc.Lookup(ctx, orderID, ps...)
	if err != nil {
		return nil, err
	}
	return res.Payments, nil
}

// Lookup finds every payment with orderID and verifies each one: its proof
// against the genesis members (header network, issuer membership and the
// payments role, signature, Merkle inclusion), the entry's lookup hash
// against the order ID, and the sealed record opened with the order ID.
// Evidence a peer serves with its answer is verified too (two validly
// signed headers of the issuer of one of the answer's records at one
// height); it makes its issuer forked.
//
// It asks the peers in from, or when from is empty the connected members
// in random order and then the bootstrap peers, at most WithMaxPeers of
// them. It wants verified answers from WithAnswers distinct peers: it asks
// that many at once, and the next candidate whenever a request fails, a
// peer answers NOT_FOUND, or WithHedgeDelay passes without an answer; each
// request has WithPeerTimeout. A peer that leaves out a record another
// peer served is asked for its heads (and then again for the payment) to
// tell a peer that hides a record from one that is behind.
//
// The result is always set, except for an invalid order ID. A nil error
// means exactly one record verified. Otherwise the error is, in this
// order of precedence: a failed check, matching ErrVerify (each a
// *CheckError naming the peer and the check); a *ForkError (ErrForked);
// a *ConflictError (ErrConflict) carrying every record when two or more
// issuers hold the order ID; a *NotFoundError (ErrNotFound) naming the
// peers that answered NOT_FOUND; or the failures of every peer asked.
func (lc *LightClient) Lookup(ctx context.Context, orderID string, from ...peer.ID) (*LookupResult, error) {
	if err := privacy.CheckOrderID(orderID); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	l := &lookup{lc: lc, orderID: orderID, hash: privacy.Lookup(lc.genesis.NetworkID, orderID)}
	cands := lc.candidates(from)
	if len(cands) == 0 {
		return &LookupResult{OrderID: orderID}, fmt.Errorf("%w: no peer to ask", ErrUnreachable)
	}
	answers := l.gather(ctx, cands, min(lc.set.answers, len(cands)))
	return l.settle(ctx, answers)
}

// candidates returns from without repeats, or when it is empty the
// connected members in random order, then the bootstrap peers not among
// them; at most maxPeers of them.
func (lc *LightClient) candidates(from []peer.ID) []peer.ID {
	var out []peer.ID
	seen := make(map[peer.ID]bool)
	add := func(p peer.ID) {
		if p != "" && !seen[p] && p != lc.host.ID() {
			out = append(out, p)
			seen[p] = true
		}
	}
	if len(from) > 0 {
		for _, p := range from {
			add(p)
		}
	} else {
		for _, p := range lc.host.Network().Peers() {
			if lc.members[p] && lc.host.Network().Connectedness(p) == network.Connected {
				add(p)
			}
		}
		rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		for _, ai := range lc.genesis.Bootstrap {
			add(ai.ID)
		}
	}
	if len(out) > lc.set.maxPeers {
		out = out[:lc.set.maxPeers]
	}
	return out
}

// mayPublishPayments reports whether iss may publish payment records: a
// member with the payments role.
func mayPublishPayments(members chain.Members, iss chain.IssuerID) bool {
	return members.Has(iss, chain.RolePayments)
}
