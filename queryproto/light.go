package queryproto

import (
	"context"
	"errors"
	"fmt"
	"github.com/credmesh/credmesh/config"
	"math/rand/v2"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/privacy"
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
}

// LightClient looks payment records up from any peer and verifies them
// against the genesis alone. It stores no chain.
type LightClient struct {
	host    host.Host
	genesis Genesis
	client  *Client
	members map[peer.ID]bool
}

// MaxLookupAttempts is how many peers LookupPayment asks, one after
// another, when it is not told which.
const MaxLookupAttempts = 3

// NewLightClient returns a light client on h, a host made by p2p.New with
// a nil Store (DHT client mode).
func NewLightClient(h host.Host, g Genesis) (*LightClient, error) {
	if err := chain.CheckNetworkID(g.NetworkID); err != nil {
		return nil, fmt.Errorf("%w: NetworkID: %v", ErrConfig, err)
	}
	if len(g.Members) == 0 {
		return nil, fmt.Errorf("%w: the genesis has no members", ErrConfig)
	}
	lc := &LightClient{host: h, genesis: g, client: NewClient(h, g.NetworkID), members: make(map[peer.ID]bool)}
	for iss := range g.Members {
		id, err := config.PeerIDFromIssuer(iss)
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
	Peer   peer.ID             // the peer that answered
}

// LookupPayment finds the payment with orderID and verifies it: every
// proof against the genesis members (header network, issuer membership,
// signature, Merkle inclusion), the entry's lookup hash against the order
// ID, and the sealed record opened with the order ID. It asks from, or
// when from is empty the connected members and then the bootstrap peers,
// up to MaxLookupAttempts of them, until one answers with records that
// verify. It returns one Payment per issuer holding the order ID
// (normally one). When peers answered only NOT_FOUND the error matches
// ErrNotFound; a failed check matches ErrVerify and names the check.
func (lc *LightClient) LookupPayment(ctx context.Context, orderID string, from peer.ID) ([]Payment, error) {
	if err := privacy.CheckOrderID(orderID); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	lookup := privacy.Lookup(lc.genesis.NetworkID, orderID)
	candidates := []peer.ID{from}
	if from == "" {
		candidates = lc.candidates()
	}
	if len(candidates) == 0 {
		return nil, fmt.Errorf("%w: no peer to ask", ErrUnreachable)
	}
	var errs []error
	for i, p := range candidates {
		if i == MaxLookupAttempts || ctx.Err() != nil {
			break
		}
		proofs, err := lc.client.Payment(ctx, p, lookup)
		if err == nil {
			var out []Payment
			if out, err = lc.verifyPayment(p, orderID, lookup, proofs); err == nil {
				return out, nil
			}
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, ctx.Err()) // ended before any peer was asked
	}
	for _, err := range errs {
		if !errors.Is(err, ErrNotFound) {
			return nil, errors.Join(errs...)
		}
	}
	return nil, errs[0]
}

// verifyPayment checks every proof a peer answered for orderID.
func (lc *LightClient) verifyPayment(p peer.ID, orderID string, lookup [privacy.LookupSize]byte, proofs []*chain.Proof) ([]Payment, error) {
	out := make([]Payment, 0, len(proofs))
	issuers := make(map[chain.IssuerID]bool, len(proofs))
	for i, pr := range proofs {
		fail := func(check string, err error) error {
			return fmt.Errorf("%w: peer %s, record %d: %s: %w", ErrVerify, p, i, check, err)
		}
		if err := pr.Verify(lc.genesis.Members, lc.genesis.NetworkID); err != nil {
			return nil, fail("inclusion proof", err)
		}
		iss := pr.Header.Issuer
		if issuers[iss] {
			return nil, fail("issuer", errors.New("two records of one issuer"))
		}
		issuers[iss] = true
		e, err := chain.DecodeEntry(pr.Entry, maxEntryBytes)
		if err != nil {
			return nil, fail("entry", err)
		}
		sealed := e.GetPayment()
		if sealed == nil {
			return nil, fail("entry", errors.New("not a payment"))
		}
		if [privacy.LookupSize]byte(sealed.Lookup) != lookup {
			return nil, fail("lookup hash", errors.New("the record is indexed under another order ID"))
		}
		rec, err := chain.OpenPayment(lc.genesis.NetworkID, orderID, iss, sealed)
		if err != nil {
			return nil, fail("sealed record", err)
		}
		out = append(out, Payment{Record: rec, Issuer: iss, Height: pr.Header.Height, Index: pr.Index, Header: pr.Header, Peer: p})
	}
	return out, nil
}

// candidates returns the connected members in random order, then the
// bootstrap peers not among them.
func (lc *LightClient) candidates() []peer.ID {
	var out []peer.ID
	seen := make(map[peer.ID]bool)
	for _, p := range lc.host.Network().Peers() {
		if lc.members[p] && lc.host.Network().Connectedness(p) == network.Connected {
			out = append(out, p)
			seen[p] = true
		}
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	for _, ai := range lc.genesis.Bootstrap {
		if !seen[ai.ID] && ai.ID != lc.host.ID() {
			out = append(out, ai.ID)
			seen[ai.ID] = true
		}
	}
	return out
}
