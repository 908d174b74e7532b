package queryproto_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p/core/peer"
)

// forkSingle makes member 1, the issuer of s.single, equivocate for real:
// it signs another block at the height of the record's block and gossips
// it; member 0, which holds the record's block, builds the evidence from
// the two headers. Each attempt gossips a different block (a message ID
// seen once is never sent again) until member 0 holds evidence.
func forkSingle(t *testing.T, s *shadowed) *chain.Evidence {
	t.Helper()
	prev, err := s.ms[0].st.Header(s.singleIssuer, s.singleHeight-1)
	if err != nil {
		t.Fatal(err)
	}
	if prev.History, err = s.ms[0].st.History(s.singleIssuer, prev.Height); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for k := 0; time.Now().Before(deadline); k++ {
		blk, _, err := chain.SealBlock(chaintest.NetworkID, prev, [][]byte{chaintest.PaymentEntry(1, 900+k)}, chaintest.Key(1), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ms[1].net.Publish(context.Background(), blk); err != nil {
			t.Fatal(err)
		}
		for wait := time.Now().Add(2 * time.Second); time.Now().Before(wait); time.Sleep(20 * time.Millisecond) {
			if ev := s.ms[0].net.EvidenceOf(s.singleIssuer); ev != nil {
				return ev
			}
		}
	}
	t.Fatal("member 0 built no evidence against member 1 from the gossiped fork")
	return nil
}

// signedPair returns two different headers issuer key signs at height of
// network.
func signedPair(t *testing.T, key int, height uint64, network string) (*chain.SignedHeader, *chain.SignedHeader) {
	t.Helper()
	var hs []*chain.SignedHeader
	for i := range 2 {
		h, err := chain.SignHeader(chain.Header{NetworkID: network, Issuer: chaintest.Issuer(key), Height: height,
			Time: chaintest.Epoch, EntryCount: 1, EntriesRoot: chain.Hash{byte(i + 1)}}, chaintest.Key(key))
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	return hs[0], hs[1]
}

func evidencePB(a, b *chain.SignedHeader) *chainpb.Evidence {
	return &chainpb.Evidence{A: a.Proto(), B: b.Proto()}
}

// serving is a tampering that answers the store's proofs with evs.
func serving(name string, evs func() []*chainpb.Evidence) *tampering {
	return &tampering{name: name, answer: func(_ int64, proofs []*querypb.Proof) *querypb.Response {
		resp := okProofs(proofs)
		resp.GetPayment().Evidence = evs()
		return resp
	}}
}

// A member holding evidence against an issuer serves it with that
// issuer's payment, and only with it; the light client verifies it and
// reports the fork (ErrForked) with the record, marked forked. A member
// that holds the evidence but leaves it out cannot be caught by one
// client; when another peer asked serves it, the fork wins.
func TestServedEvidenceReportsFork(t *testing.T) {
	s := newShadowed(t)
	ctx := lookupCtx(t)
	ev := forkSingle(t, s)
	srv := s.ms[0]

	// The server's answer: the record, and the evidence against its issuer.
	c := queryproto.NewClient(s.tp.h, chaintest.NetworkID)
	s.tp.h.Peerstore().AddAddrs(srv.id(), srv.info().Addrs, time.Hour)
	lookup := func(order string) [32]byte { return privacy.Lookup(chaintest.NetworkID, order) }
	pa, err := c.Payment(ctx, srv.id(), lookup(s.single))
	if err != nil {
		t.Fatal(err)
	}
	if len(pa.Proofs) != 1 || len(pa.Evidence) != 1 || pa.Evidence[0].A.Hash != ev.A.Hash || pa.Evidence[0].B.Hash != ev.B.Hash {
		t.Fatalf("member 0 answered %d proofs and %d pieces of evidence, want its record and its evidence", len(pa.Proofs), len(pa.Evidence))
	}
	// Two issuers, one of them forked: evidence against that one only.
	pa, err = c.Payment(ctx, srv.id(), lookup(s.order))
	if err != nil {
		t.Fatal(err)
	}
	if len(pa.Proofs) != 2 || len(pa.Evidence) != 1 || pa.Evidence[0].A.Issuer != s.singleIssuer {
		t.Fatalf("two issuers, one forked: %d proofs and %d pieces of evidence", len(pa.Proofs), len(pa.Evidence))
	}

	// The light client reports the fork, with the verified evidence and
	// the record.
	res, err := s.lc.Lookup(ctx, s.single, srv.id())
	var fe *queryproto.ForkError
	if !errors.Is(err, queryproto.ErrForked) || !errors.As(err, &fe) || errors.Is(err, queryproto.ErrVerify) {
		t.Fatalf("a record served with evidence against its issuer: %v, want ErrForked", err)
	}
	if fe.Issuer != s.singleIssuer || fe.Evidence == nil || fe.Evidence.Verify(srv.members, chaintest.NetworkID) != nil ||
		fe.Evidence.A.Hash != ev.A.Hash || !slices.Equal(fe.ServedBy, []peer.ID{srv.id()}) {
		t.Fatalf("fork %+v, want member 1 with member 0's evidence", fe.Fork)
	}
	if len(res.Payments) != 1 || !res.Payments[0].Forked || len(fe.Payments) != 1 || len(res.Forks) != 1 {
		t.Fatalf("the record of the forked issuer: %+v", res.Payments)
	}

	// Fork before conflict: both records, only member 1's marked.
	res, err = s.lc.Lookup(ctx, s.order, srv.id())
	if !errors.As(err, &fe) || errors.Is(err, queryproto.ErrConflict) || len(res.Payments) != 2 {
		t.Fatalf("a conflict with one issuer forked: %v", err)
	}
	for _, p := range res.Payments {
		if p.Forked != (p.Issuer == s.singleIssuer) {
			t.Fatalf("issuer %s marked forked: %v", p.Issuer.Short(), p.Forked)
		}
	}

	// The tamperer serves member 0's store without the evidence: alone it
	// cannot be caught; asked with member 0, the fork wins.
	s.tp.use(&tampering{name: "leaves the evidence out"})
	if got, err := s.lc.LookupPayment(ctx, s.single, s.tp.h.ID()); err != nil || len(got) != 1 || got[0].Forked {
		t.Fatalf("a peer that leaves the evidence out, alone: %v %v", got, err)
	}
	_, err = s.lc.Lookup(ctx, s.single, s.tp.h.ID(), srv.id())
	if !errors.As(err, &fe) || !slices.Equal(fe.ServedBy, []peer.ID{srv.id()}) {
		t.Fatalf("one peer leaves the evidence out, another serves it: %v", err)
	}
}

// Evidence that does not verify, or that an answer may not carry, fails
// the "evidence" check (ErrVerify, exit 4), naming the peer; evidence
// that does not decode fails "answer decoding". Valid evidence the
// tamperer made with the issuer's key is a fork.
func TestForgedEvidenceFailsCheck(t *testing.T) {
	s := newShadowed(t)
	ctx := lookupCtx(t)
	real := s.headerOfSingle()
	a, b := signedPair(t, 1, real.Height, chaintest.NetworkID)
	badSig := b.Proto()
	badSig.Signature = slices.Clone(badSig.Signature)
	badSig.Signature[0] ^= 1
	x, y := signedPair(t, 50, real.Height, chaintest.NetworkID) // not a member
	o1, o2 := signedPair(t, 1, real.Height, "other-net")
	m1, m2 := signedPair(t, 0, 1, chaintest.NetworkID) // member 0: not the record's issuer
	lower, err := s.ms[0].st.Header(s.singleIssuer, real.Height-1)
	if err != nil {
		t.Fatal(err)
	}
	if lower.History, err = s.ms[0].st.History(s.singleIssuer, lower.Height); err != nil {
		t.Fatal(err)
	}
	one := func(e *chainpb.Evidence) func() []*chainpb.Evidence {
		return func() []*chainpb.Evidence { return []*chainpb.Evidence{e} }
	}
	cases := []struct {
		tm     *tampering
		order  string
		check  string
		forked bool
	}{
		{serving("valid", one(evidencePB(a, b))), s.single, "", true},
		{serving("valid, against the record's own header", one(evidencePB(real, a))), s.single, "", true},
		{serving("bad signature", one(&chainpb.Evidence{A: a.Proto(), B: badSig})), s.single, "evidence", false},
		{serving("same header twice", one(evidencePB(real, real))), s.single, "evidence", false},
		{serving("non-member", one(evidencePB(x, y))), s.single, "evidence", false},
		{serving("another network", one(evidencePB(o1, o2))), s.single, "evidence", false},
		{serving("two heights", one(evidencePB(real, lower))), s.single, "evidence", false},
		{serving("about an issuer of no record", one(evidencePB(m1, m2))), s.single, "evidence", false},
		{serving("two pieces about one issuer", func() []*chainpb.Evidence {
			return []*chainpb.Evidence{evidencePB(a, b), evidencePB(real, a)}
		}), s.order, "evidence", false},
		{serving("more pieces than proofs", func() []*chainpb.Evidence {
			return []*chainpb.Evidence{evidencePB(a, b), evidencePB(real, a)}
		}), s.single, "answer decoding", false},
		{serving("a header missing", one(&chainpb.Evidence{A: a.Proto()})), s.single, "answer decoding", false},
	}
	for _, tc := range cases {
		s.tp.use(tc.tm)
		res, err := s.lc.Lookup(ctx, tc.order, s.tp.h.ID())
		if tc.forked {
			var fe *queryproto.ForkError
			if !errors.As(err, &fe) || errors.Is(err, queryproto.ErrVerify) || fe.Issuer != s.singleIssuer || len(res.Payments) != 1 || !res.Payments[0].Forked {
				t.Errorf("%s: %v, want ErrForked", tc.tm.name, err)
			}
			continue
		}
		var ce *queryproto.CheckError
		switch {
		case !errors.Is(err, queryproto.ErrVerify) || !errors.As(err, &ce):
			t.Errorf("%s: %v, want a failed check", tc.tm.name, err)
		case ce.Peer != s.tp.h.ID() || ce.Check != tc.check:
			t.Errorf("%s: check %q of %s failed, want %q of the tamperer: %v", tc.tm.name, ce.Check, ce.Peer, tc.check, err)
		case errors.Is(err, queryproto.ErrForked):
			t.Errorf("%s: forged evidence reported as a fork: %v", tc.tm.name, err)
		}
		t.Logf("%-30s %v", tc.tm.name, err)
	}
}
