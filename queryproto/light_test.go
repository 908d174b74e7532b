package queryproto_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"
)

// Three members; member 1 writes payments. A light client verifies each
// record from every peer, and from whichever peer it picks itself; an
// unknown order ID is a clean NOT_FOUND.
func TestLightClientVerifiesFromAnyPeer(t *testing.T) {
	ms := startNetwork(t, 3)
	ms[1].submit(paymentEntry(t, 1, 0), paymentEntry(t, 1, 1), paymentEntry(t, 1, 2))
	ms[1].submit(paymentEntry(t, 1, 3))
	replicated(t, ms, ms[1])

	// The genesis lists every member with its addresses.
	_, lc := startLightClient(t, 50, ms[0].members, []peer.AddrInfo{ms[0].info(), ms[1].info(), ms[2].info()})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for n := range 4 {
		for _, m := range ms {
			got, err := lc.LookupPayment(ctx, chaintest.OrderID(1, n), m.id())
			if err != nil {
				t.Fatalf("payment %d from member %d: %v", n, m.key, err)
			}
			if len(got) != 1 || got[0].Issuer != chaintest.Issuer(1) || got[0].Peer != m.id() {
				t.Fatalf("payment %d from member %d: %+v", n, m.key, got)
			}
			if !proto.Equal(got[0].Record, chaintest.PaymentRecord(1, n)) {
				t.Fatalf("payment %d from member %d: record differs from the one sealed", n, m.key)
			}
			if wantHeight := uint64(1 + n/3); got[0].Height != wantHeight {
				t.Fatalf("payment %d at height %d, want %d", n, got[0].Height, wantHeight)
			}
		}
	}
	got, err := lc.LookupPayment(ctx, chaintest.OrderID(1, 2), "")
	if err != nil || len(got) != 1 {
		t.Fatalf("lookup from any peer: %v", err)
	}
	t.Logf("any-peer lookup answered by %s", got[0].Peer)

	for _, from := range []peer.ID{ms[2].id(), ""} {
		_, err = lc.LookupPayment(ctx, "PAY-NO-SUCH-ORDER-0001", from)
		if !errors.Is(err, queryproto.ErrNotFound) || errors.Is(err, queryproto.ErrVerify) {
			t.Fatalf("unknown order ID from %q: %v, want only ErrNotFound", from, err)
		}
		// NOT_FOUND names the peers that said so: the one asked, or every
		// member (up to the bound) when the client picks.
		var nf *queryproto.NotFoundError
		if !errors.As(err, &nf) || !strings.Contains(err.Error(), queryproto.NotFoundWording) {
			t.Fatalf("unknown order ID from %q: %v, want a *NotFoundError", from, err)
		}
		if want := map[peer.ID]int{ms[2].id(): 1, "": 3}[from]; len(nf.Peers) != want {
			t.Fatalf("unknown order ID from %q: NOT_FOUND from %v, want %d peers", from, nf.Peers, want)
		}
		for _, p := range nf.Peers {
			if !strings.Contains(err.Error(), p.String()) {
				t.Fatalf("the error does not name %s: %v", p, err)
			}
		}
	}
	if _, err := lc.LookupPayment(ctx, "short", ""); !errors.Is(err, queryproto.ErrBadRequest) {
		t.Fatalf("invalid order ID: %v", err)
	}
}

// A non-member may look payments up but gets UNAUTHORIZED for a credit
// query, signed or not by itself.
func TestNonMemberCreditQueryIsUnauthorized(t *testing.T) {
	ms := startNetwork(t, 2)
	ms[0].submit(paymentEntry(t, 0, 7))
	n, lc := startLightClient(t, 51, ms[0].members, []peer.AddrInfo{ms[0].info()})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := lc.LookupPayment(ctx, chaintest.OrderID(0, 7), ms[0].id()); err != nil {
		t.Fatalf("a non-member's payment lookup: %v", err)
	}
	q, err := queryproto.SignQuery(queryproto.CreditQuery{
		NetworkID: chaintest.NetworkID, QueryID: "Q-outsider-1", Querier: chaintest.Issuer(51),
		Subject: privacy.Ref(chaintest.Ref(1)), Purpose: loanPurpose, ConsentRef: "C-1", Time: time.Now(),
	}, chaintest.Key(51))
	if err != nil {
		t.Fatal(err)
	}
	c := queryproto.NewClient(n.Host(), chaintest.NetworkID)
	_, err = c.CreditQuery(ctx, ms[0].id(), q)
	var se *queryproto.StatusError
	if !errors.Is(err, queryproto.ErrUnauthorized) || !errors.As(err, &se) {
		t.Fatalf("non-member credit query: %v, want UNAUTHORIZED", err)
	}
	if heads, err := c.Heads(ctx, ms[0].id()); err != nil || len(heads) != 1 || heads[0].VerifySignature() != nil {
		t.Fatalf("a non-member's heads request: %d heads, %v", len(heads), err)
	}
	if got := ms[0].srv.Stats(); got.CreditQueries != 1 || got.Payments != 1 || got.Heads != 1 {
		t.Fatalf("server counted %+v", got)
	}
}

// A payment verifies only if its issuer holds the payments role in the
// genesis: a credit-only member's payment record fails the "issuer role"
// check, whichever peer serves it.
func TestPaymentOfNonPaymentsMemberFailsCheck(t *testing.T) {
	ms := startNetwork(t, 2)
	ms[1].submit(paymentEntry(t, 1, 0))
	replicated(t, ms, ms[1])
	roles := maps.Clone(ms[0].members)
	roles[chaintest.Issuer(1)] = chain.RoleCredit | chain.RoleQuery
	_, lc := startLightClient(t, 52, roles, []peer.AddrInfo{ms[0].info(), ms[1].info()})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := lc.LookupPayment(ctx, chaintest.OrderID(1, 0), "")
	var ce *queryproto.CheckError
	if !errors.Is(err, queryproto.ErrVerify) || !errors.As(err, &ce) || ce.Check != "issuer role" || !strings.Contains(err.Error(), "not a payments member") {
		t.Fatalf("a credit-only member's payment: %v, want the issuer role check to fail", err)
	}
}
