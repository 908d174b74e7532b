package queryproto_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/encoding/protowire"
)

// tamperer answers payment and heads requests from a real store, with the
// answer altered by the current tampering.
type tamperer struct {
	h        host.Host
	st       *store.Store
	cur      atomic.Pointer[tampering]
	payments atomic.Int64 // payment requests answered
}

type tampering struct {
	name string
	// alter changes each proof.
	alter func(*querypb.Proof)
	// answer, if set, makes the whole response from the (altered) proofs;
	// n counts the payment requests answered under this tampering, from 1.
	answer func(n int64, proofs []*querypb.Proof) *querypb.Response
	// raw, if set, is sent as the response frame's body.
	raw []byte
	// heads, if set, replaces the heads answered.
	heads func([]*chainpb.SignedHeader) []*chainpb.SignedHeader
}

func newTamperer(t *testing.T, key int, st *store.Store) *tamperer {
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
	tp := &tamperer{h: h, st: st}
	h.SetStreamHandler(p2p.QueryProtocol(chaintest.NetworkID), tp.handle)
	return tp
}

// use makes tm the current tampering and restarts the request count.
func (tp *tamperer) use(tm *tampering) {
	tp.payments.Store(0)
	tp.cur.Store(tm)
}

func (tp *tamperer) handle(s network.Stream) {
	defer s.Close()
	var req querypb.Request
	if err := protodelim.UnmarshalFrom(bufio.NewReader(s), &req); err != nil {
		s.Reset()
		return
	}
	tm := tp.cur.Load()
	if tm == nil {
		tm = &tampering{}
	}
	if req.GetHeads() != nil {
		heads := tp.st.Heads()
		var out []*chainpb.SignedHeader
		for _, h := range heads {
			out = append(out, h.Proto())
		}
		slices.SortFunc(out, func(a, b *chainpb.SignedHeader) int { return bytes.Compare(a.Header, b.Header) })
		if tm.heads != nil {
			out = tm.heads(out)
		}
		protodelim.MarshalTo(s, &querypb.Response{Status: querypb.Status_STATUS_OK, Result: &querypb.Response_Heads{Heads: &querypb.HeadsResponse{Heads: out}}})
		return
	}
	n := tp.payments.Add(1)
	if tm.raw != nil {
		s.Write(protowire.AppendVarint(nil, uint64(len(tm.raw))))
		s.Write(tm.raw)
		return
	}
	locs, _ := tp.st.LookupPayment(req.GetPayment().GetLookup())
	var proofs []*querypb.Proof
	for _, loc := range locs {
		p, err := tp.st.Proof(loc)
		if err != nil {
			s.Reset()
			return
		}
		pb := &querypb.Proof{Entry: p.Entry, Index: p.Index, Header: p.Header.Proto()}
		for _, h := range p.Path {
			pb.Path = append(pb.Path, append([]byte(nil), h[:]...))
		}
		if tm.alter != nil {
			tm.alter(pb)
		}
		proofs = append(proofs, pb)
	}
	var resp *querypb.Response
	switch {
	case tm.answer != nil:
		resp = tm.answer(n, proofs)
	case len(proofs) == 0:
		resp = &querypb.Response{Status: querypb.Status_STATUS_NOT_FOUND, Error: "no payment under this lookup hash"}
	default:
		resp = okProofs(proofs)
	}
	protodelim.MarshalTo(s, resp)
}

func okProofs(proofs []*querypb.Proof) *querypb.Response {
	return &querypb.Response{Status: querypb.Status_STATUS_OK, Result: &querypb.Response_Payment{Payment: &querypb.PaymentResponse{Proofs: proofs}}}
}

func notFound() *querypb.Response {
	return &querypb.Response{Status: querypb.Status_STATUS_NOT_FOUND, Error: "no payment under this lookup hash"}
}

// flip returns a tampering that flips one bit of the byte at i (from the
// end when negative) of the field sel picks.
func flip(name string, i int, sel func(*querypb.Proof) []byte) tampering {
	return tampering{name: fmt.Sprintf("%s[%d]", name, i), alter: func(p *querypb.Proof) {
		b := sel(p)
		j := i
		if j < 0 {
			j += len(b)
		}
		if j < 0 || j >= len(b) {
			j = len(b) / 2
		}
		b[j] ^= 0x01
	}}
}

// A peer that alters one byte of the record, the proof or the header is
// caught, and the error says which check failed.
func TestTamperedPaymentIsCaught(t *testing.T) {
	ms := startNetwork(t, 2)
	ms[1].submit(paymentEntry(t, 1, 0), paymentEntry(t, 1, 1), paymentEntry(t, 1, 2))
	replicated(t, ms, ms[1])
	tp := newTamperer(t, 60, ms[0].st)
	ln, lc := startLightClient(t, 61, ms[0].members, nil)
	ln.Host().Peerstore().AddAddrs(tp.h.ID(), tp.h.Addrs(), peerstore.PermanentAddrTTL)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	order := chaintest.OrderID(1, 1) // the middle entry: an audit path of two hashes
	if _, err := lc.LookupPayment(ctx, order, tp.h.ID()); err != nil {
		t.Fatalf("the untampered answer: %v", err)
	}
	entry := func(p *querypb.Proof) []byte { return p.Entry }
	path0 := func(p *querypb.Proof) []byte { return p.Path[0] }
	pathN := func(p *querypb.Proof) []byte { return p.Path[len(p.Path)-1] }
	header := func(p *querypb.Proof) []byte { return p.Header.Header }
	sig := func(p *querypb.Proof) []byte { return p.Header.Signature }
	cases := []tampering{
		{name: "index", alter: func(p *querypb.Proof) { p.Index ^= 1 }},
		{name: "path dropped", alter: func(p *querypb.Proof) { p.Path = p.Path[:1] }},
	}
	for _, i := range []int{0, 5, 40, 100, -17, -1} {
		cases = append(cases, flip("entry", i, entry))
	}
	for _, i := range []int{0, 31} {
		cases = append(cases, flip("path0", i, path0), flip("pathN", i, pathN))
	}
	for _, i := range []int{0, 3, 12, 40, 60, 90, -1} {
		cases = append(cases, flip("header", i, header))
	}
	cases = append(cases, flip("signature", 0, sig), flip("signature", -1, sig))
	// Answers that do not decode, or break the shapes of 5.6 and 11.4.
	cases = append(cases,
		tampering{name: "no header", alter: func(p *querypb.Proof) { p.Header = nil }},
		tampering{name: "short hash", alter: func(p *querypb.Proof) { p.Path[0] = p.Path[0][:31] }},
		tampering{name: "leaf index", alter: func(p *querypb.Proof) { p.Index = 1 << 20 }},
		tampering{name: "empty entry", alter: func(p *querypb.Proof) { p.Entry = nil }},
		tampering{name: "long path", alter: func(p *querypb.Proof) {
			for len(p.Path) <= 64 {
				p.Path = append(p.Path, p.Path[0])
			}
		}},
		tampering{name: "no proofs", answer: func(int64, []*querypb.Proof) *querypb.Response { return okProofs(nil) }},
		tampering{name: "heads for payment", answer: func(int64, []*querypb.Proof) *querypb.Response {
			return &querypb.Response{Status: querypb.Status_STATUS_OK, Result: &querypb.Response_Heads{Heads: &querypb.HeadsResponse{}}}
		}},
		tampering{name: "OK without result", answer: func(int64, []*querypb.Proof) *querypb.Response {
			return &querypb.Response{Status: querypb.Status_STATUS_OK}
		}},
		tampering{name: "status 99", answer: func(int64, []*querypb.Proof) *querypb.Response { return &querypb.Response{Status: 99} }},
		tampering{name: "garbage", raw: []byte{0xff, 0xff, 0xff, 0xff}},
	)
	for _, tc := range cases {
		tp.use(&tc)
		got, err := lc.LookupPayment(ctx, order, tp.h.ID())
		if err == nil {
			t.Errorf("%s: a tampered answer verified: %+v", tc.name, got)
			continue
		}
		// Every failed check, a malformed answer included, is ErrVerify
		// (exit 4) and names the check and the peer.
		var ce *queryproto.CheckError
		if !errors.Is(err, queryproto.ErrVerify) || !errors.As(err, &ce) || ce.Peer != tp.h.ID() || ce.Check == "" {
			t.Errorf("%s: %v, want a *CheckError (ErrVerify) naming the peer", tc.name, err)
		}
		t.Logf("%-14s caught: %v", tc.name, err)
	}
}
