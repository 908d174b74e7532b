package queryproto_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p/core/peerstore"
)

// A peer cannot make up a correction: whatever it serves as one must be a
// correction of the record's issuer, of that record, with a valid proof;
// anything else fails the "correction" check.
func TestMadeUpCorrectionIsCaught(t *testing.T) {
	ms := startNetwork(t, 2)
	ms[1].submit(paymentEntry(t, 1, 0), paymentEntry(t, 1, 1))
	replicated(t, ms, ms[1])
	tp := newTamperer(t, 60, ms[0].st)
	ln, lc := startLightClient(t, 61, ms[0].members, nil)
	ln.Host().Peerstore().AddAddrs(tp.h.ID(), tp.h.Addrs(), peerstore.PermanentAddrTTL)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	order := chaintest.OrderID(1, 1)
	other, err := lc.LookupPayment(ctx, chaintest.OrderID(1, 0), tp.h.ID())
	if err != nil || len(other) != 1 {
		t.Fatalf("the other payment: %v", err)
	}
	with := func(extra func(proofs []*querypb.Proof) []*querypb.Proof) func(int64, []*querypb.Proof) *querypb.Response {
		return func(_ int64, proofs []*querypb.Proof) *querypb.Response {
			r := okProofs(proofs)
			r.GetPayment().Corrections = extra(proofs)
			return r
		}
	}
	for _, tc := range []tampering{
		{name: "the record itself as its correction", answer: with(func(p []*querypb.Proof) []*querypb.Proof { return p })},
		{name: "a correction with a broken proof", answer: with(func(p []*querypb.Proof) []*querypb.Proof {
			c := &querypb.Proof{Entry: append([]byte(nil), p[0].Entry...), Index: p[0].Index ^ 1, Path: p[0].Path, Header: p[0].Header}
			return []*querypb.Proof{c}
		})},
	} {
		tp.use(&tc)
		got, err := lc.LookupPayment(ctx, order, tp.h.ID())
		var ce *queryproto.CheckError
		if !errors.Is(err, queryproto.ErrVerify) || !errors.As(err, &ce) || ce.Check != "correction" {
			t.Errorf("%s: %v %+v, want the correction check to fail", tc.name, err, got)
		}
	}
	tp.use(&tampering{})
	if got, err := lc.LookupPayment(ctx, order, tp.h.ID()); err != nil || len(got[0].Corrections) != 0 {
		t.Fatalf("the untampered answer: %+v %v", got, err)
	}
}
