package queryproto_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/proto"
)

// batchFixture is member 0 holding payments 0..5 in two blocks (0-2 and
// 3-5), and a light client that knows it.
type batchFixture struct {
	honest *member
	lcNet  *p2p.Network
	ids    []string
}

func newBatchFixture(t *testing.T) *batchFixture {
	t.Helper()
	members := chaintest.Members(2)
	m := startMember(t, 0, members, nil)
	m.submit(paymentEntry(t, 0, 0), paymentEntry(t, 0, 1), paymentEntry(t, 0, 2))
	m.submit(paymentEntry(t, 0, 3), paymentEntry(t, 0, 4), paymentEntry(t, 0, 5))
	lcNet, _ := startLightClient(t, 200, members, []peer.AddrInfo{m.info()})
	var ids []string
	for n := range 6 {
		ids = append(ids, chaintest.OrderID(0, n))
	}
	return &batchFixture{honest: m, lcNet: lcNet, ids: ids}
}

func (f *batchFixture) light(t *testing.T, boot []peer.AddrInfo, opts ...queryproto.LightOption) *queryproto.LightClient {
	t.Helper()
	lc, err := queryproto.NewLightClient(f.lcNet.Host(), queryproto.Genesis{NetworkID: chaintest.NetworkID, Members: f.honest.members, Bootstrap: boot}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return lc
}

func TestLookupBatchVerifiesEveryOrderID(t *testing.T) {
	f := newBatchFixture(t)
	lc := f.light(t, []peer.AddrInfo{f.honest.info()}, queryproto.WithAnswers(1))
	ids := append(append([]string{}, f.ids...), "SI-never-issued-0000000001", f.ids[0])
	out, err := lc.LookupBatch(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(ids) {
		t.Fatalf("%d results for %d order IDs", len(out), len(ids))
	}
	for i, r := range out[:6] {
		if r.Err != nil {
			t.Fatalf("order ID %d: %v", i, r.Err)
		}
		if got := r.Result.Payments[0].Record.OrderId; got != ids[i] || r.OrderID != ids[i] {
			t.Fatalf("result %d is of %q/%q, want %q", i, r.OrderID, got, ids[i])
		}
	}
	if !errors.Is(out[6].Err, queryproto.ErrNotFound) {
		t.Fatalf("unknown order ID: %v, want not found", out[6].Err)
	}
	if out[7].Err != nil || out[7].Result.Payments[0].Record.OrderId != ids[0] {
		t.Fatalf("repeated order ID: %v", out[7].Err)
	}
	// Single lookups still work, and agree.
	res, err := lc.Lookup(context.Background(), ids[4])
	if err != nil || res.Payments[0].Header.Hash != out[4].Result.Payments[0].Header.Hash {
		t.Fatalf("single lookup: %v", err)
	}
}

// liar is a member's host that forwards every query request to an honest
// member and alters the answer on its way back.
type liar struct {
	h      host.Host
	alter  func(req *querypb.Request, resp *querypb.Response)
	honest peer.AddrInfo
}

func newLiar(t *testing.T, key int, honest peer.AddrInfo, alter func(*querypb.Request, *querypb.Response)) *liar {
	t.Helper()
	sk, err := crypto.UnmarshalEd25519PrivateKey(chaintest.Key(key))
	if err != nil {
		t.Fatal(err)
	}
	h, err := libp2p.New(libp2p.Identity(sk), libp2p.ListenAddrs(loopback()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	h.Peerstore().AddAddrs(honest.ID, honest.Addrs, peerstore.PermanentAddrTTL)
	l := &liar{h: h, alter: alter, honest: honest}
	h.SetStreamHandler(p2p.QueryProtocol(chaintest.NetworkID), l.handle)
	return l
}

func (l *liar) info() peer.AddrInfo { return peer.AddrInfo{ID: l.h.ID(), Addrs: l.h.Addrs()} }

func (l *liar) handle(s network.Stream) {
	var req querypb.Request
	if err := protodelim.UnmarshalFrom(bufio.NewReader(s), &req); err != nil {
		s.Reset()
		return
	}
	resp, err := l.forward(&req)
	if err != nil {
		s.Reset()
		return
	}
	l.alter(&req, resp)
	if _, err := protodelim.MarshalTo(s, resp); err != nil {
		s.Reset()
		return
	}
	s.Close()
}

// forward asks the honest member the same request.
func (l *liar) forward(req *querypb.Request) (*querypb.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := l.h.NewStream(ctx, l.honest.ID, p2p.QueryProtocol(chaintest.NetworkID))
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if _, err := protodelim.MarshalTo(s, req); err != nil {
		return nil, err
	}
	if err := s.CloseWrite(); err != nil {
		return nil, err
	}
	resp := new(querypb.Response)
	return resp, protodelim.UnmarshalOptions{MaxSize: 4 << 20}.UnmarshalFrom(bufio.NewReader(s), resp)
}

// TestLookupBatchCatchesDishonestServer makes a member's peer alter its
// batch answers, each way in turn, and requires every order ID of the
// batch to fail a check, naming the liar.
func TestLookupBatchCatchesDishonestServer(t *testing.T) {
	f := newBatchFixture(t)
	batch := func(r *querypb.Response) *querypb.PaymentBatchResponse { return r.GetPaymentBatch() }
	cases := []struct {
		name  string
		check string
		alter func(*querypb.PaymentBatchResponse)
	}{
		{"omits an item", "answer decoding", func(b *querypb.PaymentBatchResponse) { b.Items = b.Items[1:] }},
		{"duplicates an item", "lookup hash", func(b *querypb.PaymentBatchResponse) { b.Items[1] = b.Items[0] }},
		{"swaps two items", "lookup hash", func(b *querypb.PaymentBatchResponse) { b.Items[0], b.Items[1] = b.Items[1], b.Items[0] }},
		{"swaps items of two blocks", "answer decoding", func(b *querypb.PaymentBatchResponse) { b.Items[0], b.Items[4] = b.Items[4], b.Items[0] }},
		{"duplicates a proof", "proof order", func(b *querypb.PaymentBatchResponse) {
			b.Items[2].Proofs = append(b.Items[2].Proofs, b.Items[2].Proofs[0])
		}},
		{"names another block's header", "inclusion proof", func(b *querypb.PaymentBatchResponse) { b.Items[5].Proofs[0].Header = 0 }},
		{"forges a header's signature", "inclusion proof", func(b *querypb.PaymentBatchResponse) {
			sig := append([]byte(nil), b.Headers[1].Signature...)
			sig[7] ^= 1
			b.Headers[1].Signature = sig
		}},
		{"sends a header twice", "answer decoding", func(b *querypb.PaymentBatchResponse) { b.Headers = append(b.Headers, b.Headers[0]) }},
		{"alters an entry", "inclusion proof", func(b *querypb.PaymentBatchResponse) {
			e := append([]byte(nil), b.Items[3].Proofs[0].Entry...)
			e[len(e)-1] ^= 1
			b.Items[3].Proofs[0].Entry = e
		}},
		{"alters an audit path", "inclusion proof", func(b *querypb.PaymentBatchResponse) {
			p := append([]byte(nil), b.Items[1].Proofs[0].Path[0]...)
			p[0] ^= 1
			b.Items[1].Proofs[0].Path[0] = p
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The honest answers come first, so the headers are in the
			// light client's cache of verified headers.
			lc := f.light(t, nil, queryproto.WithAnswers(1))
			if out, err := lc.LookupBatch(context.Background(), f.ids, f.honest.id()); err != nil || out[5].Err != nil {
				t.Fatalf("honest batch: %v %v", err, out)
			}
			l := newLiar(t, 1, f.honest.info(), func(req *querypb.Request, resp *querypb.Response) {
				if b := batch(resp); b != nil {
					tc.alter(b)
				}
			})
			f.lcNet.Host().Peerstore().AddAddrs(l.h.ID(), l.h.Addrs(), peerstore.PermanentAddrTTL)
			out, err := lc.LookupBatch(context.Background(), f.ids, l.h.ID())
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range out {
				var ce *queryproto.CheckError
				if !errors.As(r.Err, &ce) || ce.Check != tc.check || ce.Peer != l.h.ID() {
					t.Fatalf("order ID %d: %v, want the %q check failed by %s", i, r.Err, tc.check, l.h.ID())
				}
			}
		})
	}
}

// TestLookupBatchCatchesHiddenRecord asks an honest member and one that
// answers NOT_FOUND for one order ID (in the batch, and when asked
// again alone) though its head shows it holds the block: the omission
// check fails for that order ID only, the others verify.
func TestLookupBatchCatchesHiddenRecord(t *testing.T) {
	f := newBatchFixture(t)
	hidden := privacy.Lookup(chaintest.NetworkID, f.ids[4])
	l := newLiar(t, 1, f.honest.info(), func(req *querypb.Request, resp *querypb.Response) {
		if b := resp.GetPaymentBatch(); b != nil {
			for i, lk := range req.GetPaymentBatch().GetLookups() {
				if [32]byte(lk) == hidden {
					b.Items[i] = &querypb.BatchItem{Status: querypb.Status_STATUS_NOT_FOUND}
				}
			}
			// The header only the hidden record named goes too.
			fixHeaders(b)
		}
		if p := req.GetPayment(); p != nil && [32]byte(p.Lookup) == hidden {
			proto.Reset(resp)
			resp.Status, resp.Error = querypb.Status_STATUS_NOT_FOUND, "none"
		}
	})
	f.lcNet.Host().Peerstore().AddAddrs(l.h.ID(), l.h.Addrs(), peerstore.PermanentAddrTTL)
	lc := f.light(t, nil, queryproto.WithAnswers(2), queryproto.WithHedgeDelay(0))
	out, err := lc.LookupBatch(context.Background(), f.ids, f.honest.id(), l.h.ID())
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range out {
		var ce *queryproto.CheckError
		switch {
		case i == 4:
			if !errors.As(r.Err, &ce) || ce.Check != "omission" || ce.Peer != l.h.ID() {
				t.Fatalf("hidden order ID: %v, want the omission check failed by the liar", r.Err)
			}
		case r.Err != nil:
			t.Fatalf("order ID %d: %v", i, r.Err)
		case len(r.Result.Answered) != 2:
			t.Fatalf("order ID %d answered by %v, want both peers", i, r.Result.Answered)
		}
	}
}

// fixHeaders drops the headers no proof names any more and renumbers the
// proofs', keeping the first-named order.
func fixHeaders(b *querypb.PaymentBatchResponse) {
	old := b.Headers
	b.Headers = nil
	renum := make(map[uint32]uint32)
	for _, it := range b.Items {
		for _, p := range it.Proofs {
			n, ok := renum[p.Header]
			if !ok {
				n = uint32(len(b.Headers))
				renum[p.Header] = n
				b.Headers = append(b.Headers, old[p.Header])
			}
			p.Header = n
		}
	}
}

// TestLookupBatchFallsBackToSingleRequests asks a server that knows no
// batches (it answers BAD_REQUEST, as servers before them do): the light
// client asks it one order ID at a time.
func TestLookupBatchFallsBackToSingleRequests(t *testing.T) {
	f := newBatchFixture(t)
	l := newLiar(t, 1, f.honest.info(), func(req *querypb.Request, resp *querypb.Response) {
		if req.GetPaymentBatch() != nil {
			proto.Reset(resp)
			resp.Status, resp.Error = querypb.Status_STATUS_BAD_REQUEST, "request names no operation"
		}
	})
	f.lcNet.Host().Peerstore().AddAddrs(l.h.ID(), l.h.Addrs(), peerstore.PermanentAddrTTL)
	lc := f.light(t, nil, queryproto.WithAnswers(1))
	out, err := lc.LookupBatch(context.Background(), f.ids, l.h.ID())
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range out {
		if r.Err != nil {
			t.Fatalf("order ID %d: %v", i, r.Err)
		}
	}
}

// TestPaymentBatchRequestLimits checks the server's caps: an empty batch,
// one over MaxBatchLookups and one with a repeated hash are BAD_REQUEST.
func TestPaymentBatchRequestLimits(t *testing.T) {
	f := newBatchFixture(t)
	c := queryproto.NewClient(f.lcNet.Host(), chaintest.NetworkID)
	h := [32]byte(privacy.Lookup(chaintest.NetworkID, f.ids[0]))
	over := make([][32]byte, queryproto.MaxBatchLookups+1)
	for i := range over {
		over[i] = [32]byte(privacy.Lookup(chaintest.NetworkID, fmt.Sprintf("SI-bulk-%010d", i)))
	}
	for name, ls := range map[string][][32]byte{"empty": nil, "over the cap": over, "repeated": {h, h}} {
		if _, err := c.PaymentBatch(context.Background(), f.honest.id(), ls); !errors.Is(err, queryproto.ErrBadRequest) {
			t.Fatalf("%s: %v, want BAD_REQUEST", name, err)
		}
	}
	a, err := c.PaymentBatch(context.Background(), f.honest.id(), over[:queryproto.MaxBatchLookups])
	if err != nil || len(a.Items) != queryproto.MaxBatchLookups {
		t.Fatalf("a full batch: %v", err)
	}
}

// TestPaymentBatchCostsATokenPerLookup gives a light client's peer a
// budget of 10 requests: a batch of 11 lookup hashes is RATE_LIMITED and
// takes none, one of 10 is answered and spends them all.
func TestPaymentBatchCostsATokenPerLookup(t *testing.T) {
	members := chaintest.Members(1)
	m := startMember(t, 0, members, nil, func(c *queryproto.Config) {
		c.PeerRate, c.PeerBurst = 1e-6, 10
	})
	lcNet, _ := startLightClient(t, 200, members, []peer.AddrInfo{m.info()})
	c := queryproto.NewClient(lcNet.Host(), chaintest.NetworkID)
	ls := make([][32]byte, 11)
	for i := range ls {
		ls[i] = [32]byte(privacy.Lookup(chaintest.NetworkID, chaintest.OrderID(0, i)))
	}
	if _, err := c.PaymentBatch(context.Background(), m.id(), ls); !errors.Is(err, queryproto.ErrRateLimited) {
		t.Fatalf("a batch of 11 on a budget of 10: %v, want RATE_LIMITED", err)
	}
	// The refused batch took its stream's token only: 9 are left.
	if _, err := c.PaymentBatch(context.Background(), m.id(), ls[:9]); err != nil {
		t.Fatalf("a batch of 9: %v", err)
	}
	if _, err := c.PaymentBatch(context.Background(), m.id(), ls[:1]); !errors.Is(err, queryproto.ErrRateLimited) {
		t.Fatalf("after the budget is spent: %v, want RATE_LIMITED", err)
	}
}

// TestLookupBatchPacesARateLimitedPeer: two batches of 256 at once outrun
// a per-peer burst that either alone fits; the one answered RATE_LIMITED
// is asked again once the budget has refilled, so every order ID verifies.
func TestLookupBatchPacesARateLimitedPeer(t *testing.T) {
	members := chaintest.Members(1)
	m := startMember(t, 0, members, nil, func(c *queryproto.Config) {
		c.PeerRate, c.PeerBurst = 1000, 300
	})
	const n = 2 * queryproto.MaxBatchLookups
	var ids []string
	for start := 0; start < n; start += 64 {
		var es []*chainpb.Entry
		for i := start; i < start+64; i++ {
			es = append(es, paymentEntry(t, 0, i))
			ids = append(ids, chaintest.OrderID(0, i))
		}
		m.submit(es...)
	}
	lcNet, _ := startLightClient(t, 200, members, []peer.AddrInfo{m.info()})
	lc, err := queryproto.NewLightClient(lcNet.Host(), queryproto.Genesis{NetworkID: chaintest.NetworkID, Members: members, Bootstrap: []peer.AddrInfo{m.info()}}, queryproto.WithAnswers(1))
	if err != nil {
		t.Fatal(err)
	}
	out, err := lc.LookupBatch(context.Background(), ids, m.id())
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range out {
		if r.Err != nil || r.Result == nil || len(r.Result.Payments) != 1 {
			t.Fatalf("order ID %d of %d: %v", i, n, r.Err)
		}
	}
}
