package queryproto_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/proto"
)

// rawRequest writes frame on a new query stream to p and returns the
// response, or the error that ended the stream (a reset).
func rawRequest(t *testing.T, h host.Host, p peer.ID, frame []byte) (*querypb.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := h.NewStream(ctx, p, p2p.QueryProtocol(chaintest.NetworkID))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := s.Write(frame); err != nil {
		return nil, err
	}
	s.CloseWrite()
	var resp querypb.Response
	if err := protodelim.UnmarshalFrom(bufio.NewReader(s), &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

func frameOf(m proto.Message) []byte {
	b, _ := proto.Marshal(m)
	return append(binary.AppendUvarint(nil, uint64(len(b))), b...)
}

// A request over 64 KiB gets BAD_REQUEST or a reset, whether its length
// prefix announces it or not; garbage gets BAD_REQUEST; the server stays up.
func TestRequestSizeCapAndGarbage(t *testing.T) {
	ms := startNetwork(t, 2)
	h, srv := ms[1].net.Host(), ms[0].id()

	big := &querypb.Request{Op: &querypb.Request_Payment{Payment: &querypb.PaymentRequest{Lookup: make([]byte, queryproto.MaxRequestBytes)}}}
	resp, err := rawRequest(t, h, srv, frameOf(big))
	if err == nil && resp.Status != querypb.Status_STATUS_BAD_REQUEST {
		t.Fatalf("oversized request answered %s", resp.Status)
	}
	t.Logf("oversized request: %v %v", resp.GetStatus(), err)

	// A prefix that announces 1 GiB and never delivers it.
	resp, err = rawRequest(t, h, srv, binary.AppendUvarint(nil, 1<<30))
	if err == nil && resp.Status != querypb.Status_STATUS_BAD_REQUEST {
		t.Fatalf("1 GiB prefix answered %s", resp.Status)
	}

	for name, frame := range map[string][]byte{
		"not protobuf":   append(binary.AppendUvarint(nil, 3), 0xff, 0xff, 0xff),
		"no operation":   frameOf(&querypb.Request{}),
		"short lookup":   frameOf(&querypb.Request{Op: &querypb.Request_Payment{Payment: &querypb.PaymentRequest{Lookup: []byte{1}}}}),
		"empty query":    frameOf(&querypb.Request{Op: &querypb.Request_CreditQuery{CreditQuery: &querypb.SignedCreditQuery{}}}),
		"empty frame":    {0},
		"truncated body": append(binary.AppendUvarint(nil, 40), 0x12, 0x22),
	} {
		resp, err := rawRequest(t, h, srv, frame)
		if name == "truncated body" {
			if err == nil {
				t.Errorf("%s: answered %s, want a reset", name, resp.Status)
			}
			continue
		}
		if err != nil || resp.Status != querypb.Status_STATUS_BAD_REQUEST {
			t.Errorf("%s: %v %v, want BAD_REQUEST", name, resp.GetStatus(), err)
		}
	}
	c := queryproto.NewClient(h, chaintest.NetworkID)
	if _, err := c.Heads(context.Background(), srv); err != nil {
		t.Fatalf("the server is down after bad requests: %v", err)
	}
}

// The client refuses to send an oversized request at all.
func TestClientRefusesOversizedQuery(t *testing.T) {
	q := &queryproto.SignedQuery{Raw: make([]byte, queryproto.MaxRequestBytes), Signature: make([]byte, 64)}
	c := queryproto.NewClient(nil, chaintest.NetworkID)
	if _, err := c.CreditQuery(context.Background(), "", q); !errors.Is(err, queryproto.ErrTooLarge) {
		t.Fatalf("oversized query: %v", err)
	}
}

// A peer past its burst is answered RATE_LIMITED; another peer is not.
func TestPeerRateLimit(t *testing.T) {
	members := chaintest.Members(3)
	a := startMember(t, 0, members, nil, func(c *queryproto.Config) { c.PeerRate, c.PeerBurst = 0.001, 3 })
	b := startMember(t, 1, members, []peer.AddrInfo{a.info()})
	o := startMember(t, 2, members, []peer.AddrInfo{a.info()})
	ctx := context.Background()
	c := queryproto.NewClient(b.net.Host(), chaintest.NetworkID)
	for i := range 3 {
		if _, err := c.Heads(ctx, a.id()); err != nil {
			t.Fatalf("request %d within the burst: %v", i, err)
		}
	}
	if _, err := c.Heads(ctx, a.id()); !errors.Is(err, queryproto.ErrRateLimited) {
		t.Fatalf("request past the burst: %v", err)
	}
	if _, err := queryproto.NewClient(o.net.Host(), chaintest.NetworkID).Heads(ctx, a.id()); err != nil {
		t.Fatalf("another peer: %v", err)
	}
}

// A member's credit query is refused with the right code when it is not
// its own, stale, or for another network; the client sees the code.
func TestCreditQueryRefusals(t *testing.T) {
	ms := startNetwork(t, 2)
	c := queryproto.NewClient(ms[1].net.Host(), chaintest.NetworkID)
	base := queryproto.CreditQuery{
		NetworkID: chaintest.NetworkID, QueryID: "Q-1", Querier: chaintest.Issuer(1),
		Subject: privacy.Ref(chaintest.Ref(1)), Purpose: loanPurpose, ConsentRef: "C-1", Time: time.Now(),
	}
	sign := func(q queryproto.CreditQuery, key int) *queryproto.SignedQuery {
		sq, err := queryproto.SignQuery(q, chaintest.Key(key))
		if err != nil {
			t.Fatal(err)
		}
		return sq
	}
	notMine := base
	notMine.Querier = chaintest.Issuer(0)
	stale := base
	stale.Time = time.Now().Add(-6 * time.Minute)
	future := base
	future.Time = time.Now().Add(6 * time.Minute)
	other := base
	other.NetworkID = "other-net"
	badSig := sign(base, 1)
	badSig.Signature = append([]byte(nil), badSig.Signature...)
	badSig.Signature[5] ^= 1
	cases := []struct {
		name string
		q    *queryproto.SignedQuery
		want error
	}{
		{"querier is another member", sign(notMine, 0), queryproto.ErrUnauthorized},
		{"stale", sign(stale, 1), queryproto.ErrUnauthorized},
		{"from the future", sign(future, 1), queryproto.ErrUnauthorized},
		{"bad signature", badSig, queryproto.ErrUnauthorized},
		{"another network", sign(other, 1), queryproto.ErrBadRequest},
	}
	for _, tc := range cases {
		_, err := c.CreditQuery(context.Background(), ms[0].id(), tc.q)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	q := sign(base, 1)
	a, err := c.CreditQuery(context.Background(), ms[0].id(), q)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Verify(q, chaintest.Issuer(0), ms[0].members); err != nil {
		t.Fatal(err)
	}
	// The answer is bound to its query and its responder.
	again := base
	again.QueryID = "Q-2"
	if err := a.Verify(sign(again, 1), chaintest.Issuer(0), ms[0].members); !errors.Is(err, queryproto.ErrVerify) {
		t.Fatalf("an answer verified for another query: %v", err)
	}
	if err := a.Verify(q, chaintest.Issuer(1), ms[0].members); !errors.Is(err, queryproto.ErrVerify) {
		t.Fatalf("an answer verified for another responder: %v", err)
	}
}

// Light clients cannot starve members: any number of client peer IDs
// spend only the clients' budget, and a member's credit query is still
// answered. The server's clock stands still, so no bucket refills during
// the test however long it takes.
func TestLightClientsCannotStarveMembers(t *testing.T) {
	members := chaintest.Members(2)
	frozen := time.Now()
	const peerBurst, clientsBurst = 4, 12
	srv := startMember(t, 0, members, nil, func(c *queryproto.Config) {
		c.PeerRate, c.PeerBurst = 1, peerBurst
		c.ClientsRate, c.ClientsBurst = 1, clientsBurst
		c.MembersRate, c.MembersBurst = 1, 8
		c.Now = func() time.Time { return frozen }
	})
	srv.submit(paymentEntry(t, 0, 0))
	lookup := privacy.Lookup(chaintest.NetworkID, chaintest.OrderID(0, 0))
	ctx := context.Background()

	// Eight light clients, each with a peer ID of its own, ask until they
	// are refused: together they get the clients' burst, no more.
	granted, limited := 0, 0
	for i := range 8 {
		n, _ := startLightClient(t, 100+i, members, []peer.AddrInfo{srv.info()})
		if err := n.Host().Connect(ctx, srv.info()); err != nil {
			t.Fatal(err)
		}
		c := queryproto.NewClient(n.Host(), chaintest.NetworkID)
		for j := range peerBurst + 1 {
			var err error
			if j%2 == 0 {
				_, err = c.Heads(ctx, srv.id())
			} else {
				_, err = c.Payment(ctx, srv.id(), lookup)
			}
			switch {
			case err == nil:
				granted++
			case errors.Is(err, queryproto.ErrRateLimited):
				limited++
			default:
				t.Fatalf("light client %d request %d: %v", i, j, err)
			}
		}
	}
	if granted != clientsBurst || limited != 8*(peerBurst+1)-clientsBurst {
		t.Fatalf("light clients: %d granted and %d rate limited, want %d granted", granted, limited, clientsBurst)
	}

	// The member's credit query and payment lookup are still answered.
	m := startMember(t, 1, members, []peer.AddrInfo{srv.info()})
	if err := m.net.Host().Connect(ctx, srv.info()); err != nil {
		t.Fatal(err)
	}
	q, err := queryproto.SignQuery(queryproto.CreditQuery{
		NetworkID: chaintest.NetworkID, QueryID: "Q-starve-1", Querier: chaintest.Issuer(1),
		Subject: privacy.Ref(chaintest.Ref(1)), Purpose: loanPurpose, ConsentRef: "C-1", Time: frozen,
	}, chaintest.Key(1))
	if err != nil {
		t.Fatal(err)
	}
	c := queryproto.NewClient(m.net.Host(), chaintest.NetworkID)
	a, err := c.CreditQuery(ctx, srv.id(), q)
	if err != nil {
		t.Fatalf("a member's credit query after light clients spent their budget: %v", err)
	}
	if err := a.Verify(q, chaintest.Issuer(0), members); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Payment(ctx, srv.id(), lookup); err != nil {
		t.Fatalf("a member's payment lookup after light clients spent their budget: %v", err)
	}
	// And a light client that never asked before is refused: its own
	// bucket is full, the clients' is not.
	n, _ := startLightClient(t, 200, members, []peer.AddrInfo{srv.info()})
	if err := n.Host().Connect(ctx, srv.info()); err != nil {
		t.Fatal(err)
	}
	if _, err := queryproto.NewClient(n.Host(), chaintest.NetworkID).Heads(ctx, srv.id()); !errors.Is(err, queryproto.ErrRateLimited) {
		t.Fatalf("a new light client after the clients' budget was spent: %v", err)
	}
}
