package queryproto_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

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
)

// tamperer answers payment requests from a real store, with one byte of
// the answer altered by the current tampering.
type tamperer struct {
	h   host.Host
	st  *store.Store
	cur atomic.Pointer[tampering]
}

type tampering struct {
	name  string
	alter func(*querypb.Proof)
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

func (tp *tamperer) handle(s network.Stream) {
	defer s.Close()
	var req querypb.Request
	if err := protodelim.UnmarshalFrom(bufio.NewReader(s), &req); err != nil {
		s.Reset()
		return
	}
	locs, _ := tp.st.LookupPayment(req.GetPayment().GetLookup())
	resp := &querypb.PaymentResponse{}
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
		if tm := tp.cur.Load(); tm != nil && tm.alter != nil {
			tm.alter(pb)
		}
		resp.Proofs = append(resp.Proofs, pb)
	}
	protodelim.MarshalTo(s, &querypb.Response{Status: querypb.Status_STATUS_OK, Result: &querypb.Response_Payment{Payment: resp}})
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
	for _, tc := range cases {
		tp.cur.Store(&tc)
		got, err := lc.LookupPayment(ctx, order, tp.h.ID())
		if err == nil {
			t.Errorf("%s: a tampered answer verified: %+v", tc.name, got)
			continue
		}
		if !errors.Is(err, queryproto.ErrVerify) && !errors.Is(err, queryproto.ErrMalformed) {
			t.Errorf("%s: %v, want ErrVerify or ErrMalformed", tc.name, err)
		}
		t.Logf("%-14s caught: %v", tc.name, err)
	}
}
