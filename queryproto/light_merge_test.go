package queryproto_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"google.golang.org/protobuf/proto"
)

// shadowed is a network of two members where both published a payment
// under one order ID (member 0's record, then member 1's shadow of it), a
// tamperer serving member 0's store, and a light client that knows both
// members and the tamperer.
type shadowed struct {
	ms             []*member
	tp             *tamperer
	lc             *queryproto.LightClient
	order          string                     // two issuers
	single         string                     // member 1's alone
	rec0, rec1     *chainpb.PaymentRecord     // the records under order
	singleRec      *chainpb.PaymentRecord     // the record under single
	singleIssuer   chain.IssuerID             // member 1
	singleHeight   uint64                     // the block of single
	headerOfSingle func() *chain.SignedHeader // its signed header
}

func newShadowed(t *testing.T) *shadowed {
	t.Helper()
	ms := startNetwork(t, 2)
	s := &shadowed{ms: ms, order: chaintest.OrderID(0, 9), single: chaintest.OrderID(1, 0)}
	s.rec0 = chaintest.PaymentRecord(0, 9)
	s.rec1 = proto.Clone(s.rec0).(*chainpb.PaymentRecord)
	s.rec1.AmountMinor = 1 // the shadow: 0.01 instead of the original
	s.rec1.ReceiptNo = "SHADOW-1"
	shadow, err := chain.SealPayment(chaintest.NetworkID, chaintest.Issuer(1), s.rec1)
	if err != nil {
		t.Fatal(err)
	}
	ms[0].submit(paymentEntry(t, 0, 9))
	ms[1].submit(paymentEntry(t, 1, 1)) // so that the next block has a parent
	ms[1].submit(paymentEntry(t, 1, 0), shadow)
	replicated(t, ms, ms[0])
	replicated(t, ms, ms[1])
	s.singleRec = chaintest.PaymentRecord(1, 0)
	s.singleIssuer = chaintest.Issuer(1)
	s.singleHeight = ms[0].height(s.singleIssuer)
	s.headerOfSingle = func() *chain.SignedHeader {
		h, err := ms[0].st.Header(s.singleIssuer, s.singleHeight)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	s.tp = newTamperer(t, 60, ms[0].st)
	ln, lc := startLightClient(t, 61, ms[0].members, []peer.AddrInfo{ms[0].info(), ms[1].info()})
	ln.Host().Peerstore().AddAddrs(s.tp.h.ID(), s.tp.h.Addrs(), peerstore.PermanentAddrTTL)
	s.lc = lc
	return s
}

func lookupCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// checkError requires err to be a failed check of the tamperer's answer.
func (s *shadowed) checkError(t *testing.T, what string, err error, check string) *queryproto.CheckError {
	t.Helper()
	var ce *queryproto.CheckError
	if !errors.Is(err, queryproto.ErrVerify) || !errors.As(err, &ce) {
		t.Fatalf("%s: %v, want a failed check", what, err)
	}
	if ce.Peer != s.tp.h.ID() || ce.Check != check {
		t.Fatalf("%s: check %q of peer %s failed, want %q of the tamperer: %v", what, ce.Check, ce.Peer, check, err)
	}
	return ce
}

// Shadowing: two issuers under one order ID are a conflict that carries
// both records in full, sorted by issuer key, from any peer and from each
// peer alone; never one of them silently.
func TestShadowedOrderIDIsAConflict(t *testing.T) {
	s := newShadowed(t)
	ctx := lookupCtx(t)
	for _, from := range [][]peer.ID{nil, {s.ms[0].id()}, {s.ms[1].id()}} {
		res, err := s.lc.Lookup(ctx, s.order, from...)
		var ce *queryproto.ConflictError
		if !errors.Is(err, queryproto.ErrConflict) || !errors.As(err, &ce) || errors.Is(err, queryproto.ErrVerify) {
			t.Fatalf("from %v: %v, want a conflict", from, err)
		}
		if len(ce.Payments) != 2 || len(res.Payments) != 2 {
			t.Fatalf("from %v: %d records in the conflict, want 2", from, len(ce.Payments))
		}
		byIssuer := map[chain.IssuerID]*chainpb.PaymentRecord{chaintest.Issuer(0): s.rec0, chaintest.Issuer(1): s.rec1}
		for _, p := range ce.Payments {
			if !proto.Equal(p.Record, byIssuer[p.Issuer]) {
				t.Fatalf("from %v: issuer %s's record differs from the one it sealed", from, p.Issuer.Short())
			}
		}
		if a, b := ce.Payments[0].Issuer, ce.Payments[1].Issuer; bytes.Compare(a[:], b[:]) >= 0 {
			t.Fatalf("from %v: records not sorted by issuer key", from)
		}
		if !strings.Contains(err.Error(), s.order) {
			t.Fatalf("from %v: the error does not name the order ID: %v", from, err)
		}
		if from == nil && (len(res.Answered) != 2 || len(ce.Payments[0].Peers) != 2) {
			t.Fatalf("any peer: answered by %v, record served by %v; want both members", res.Answered, ce.Payments[0].Peers)
		}
	}
	// LookupPayment never returns one of the two.
	if got, err := s.lc.LookupPayment(ctx, s.order, ""); got != nil || !errors.Is(err, queryproto.ErrConflict) {
		t.Fatalf("LookupPayment of a shadowed order ID: %v %v", got, err)
	}
}

// An answer whose proofs are not sorted by issuer key is a failed check,
// and so is one that repeats an issuer: a relaying peer cannot choose
// which record comes first.
func TestUnsortedAnswerFailsCheck(t *testing.T) {
	s := newShadowed(t)
	ctx := lookupCtx(t)
	if _, err := s.lc.Lookup(ctx, s.order, s.tp.h.ID()); !errors.Is(err, queryproto.ErrConflict) {
		t.Fatalf("the untampered answer: %v", err)
	}
	s.tp.use(&tampering{name: "reversed", answer: func(_ int64, proofs []*querypb.Proof) *querypb.Response {
		slices.Reverse(proofs)
		return okProofs(proofs)
	}})
	_, err := s.lc.Lookup(ctx, s.order, s.tp.h.ID())
	s.checkError(t, "reversed proofs", err, "proof order")
	s.tp.use(&tampering{name: "repeated", answer: func(_ int64, proofs []*querypb.Proof) *querypb.Response {
		return okProofs([]*querypb.Proof{proofs[0], proofs[0]})
	}})
	_, err = s.lc.Lookup(ctx, s.order, s.tp.h.ID())
	s.checkError(t, "a repeated proof", err, "proof order")
}

// A peer that leaves out a record another peer served, though its signed
// head shows it holds the block, fails the omission check, named with the
// issuer: whether it drops one of two records or answers NOT_FOUND.
func TestOmittedRecordFailsCheck(t *testing.T) {
	s := newShadowed(t)
	ctx := lookupCtx(t)
	issuer0 := chaintest.Issuer(0)
	s.tp.use(&tampering{name: "drop member 0's", answer: func(_ int64, proofs []*querypb.Proof) *querypb.Response {
		var kept []*querypb.Proof
		for _, p := range proofs {
			if h, _ := chain.DecodeSignedHeader(p.Header.Header, p.Header.Signature); h.Issuer != issuer0 {
				kept = append(kept, p)
			}
		}
		return okProofs(kept)
	}})
	// Alone, the tamperer's answer verifies: one record, no conflict.
	got, err := s.lc.LookupPayment(ctx, s.order, s.tp.h.ID())
	if err != nil || len(got) != 1 || got[0].Issuer != chaintest.Issuer(1) {
		t.Fatalf("the tamperer alone: %v %v", got, err)
	}
	// With an honest member asked too, the omission is caught.
	res, err := s.lc.Lookup(ctx, s.order, s.tp.h.ID(), s.ms[1].id())
	ce := s.checkError(t, "one record dropped", err, "omission")
	if !strings.Contains(ce.Error(), issuer0.Short()) {
		t.Fatalf("the omission does not name the issuer: %v", ce)
	}
	if len(res.Payments) != 2 {
		t.Fatalf("the lookup verified %d records, want both", len(res.Payments))
	}

	s.tp.use(&tampering{name: "NOT_FOUND", answer: func(int64, []*querypb.Proof) *querypb.Response { return notFound() }})
	_, err = s.lc.Lookup(ctx, s.single, s.tp.h.ID(), s.ms[1].id())
	ce = s.checkError(t, "NOT_FOUND for a held record", err, "omission")
	if !strings.Contains(ce.Error(), s.singleIssuer.Short()) {
		t.Fatalf("the omission does not name the issuer: %v", ce)
	}
}

// A peer that answers NOT_FOUND because it does not hold the block yet is
// behind: noted, not an error, whether its head is below the record's
// block or it serves the record when asked again.
func TestBehindPeerIsNoted(t *testing.T) {
	s := newShadowed(t)
	ctx := lookupCtx(t)
	s.tp.use(&tampering{name: "no chains",
		answer: func(int64, []*querypb.Proof) *querypb.Response { return notFound() },
		heads:  func([]*chainpb.SignedHeader) []*chainpb.SignedHeader { return nil }})
	res, err := s.lc.Lookup(ctx, s.single, s.tp.h.ID(), s.ms[0].id())
	if err != nil || len(res.Payments) != 1 || !proto.Equal(res.Payments[0].Record, s.singleRec) {
		t.Fatalf("lookup with a peer behind: %v", err)
	}
	want := queryproto.Lag{Peer: s.tp.h.ID(), Issuer: s.singleIssuer, Height: s.singleHeight}
	if len(res.Behind) != 1 || res.Behind[0] != want || !slices.Equal(res.NotFound, []peer.ID{s.tp.h.ID()}) {
		t.Fatalf("behind %+v, NOT_FOUND from %v; want %+v", res.Behind, res.NotFound, want)
	}

	// Its head below the record's block.
	prev, err := s.ms[0].st.Header(s.singleIssuer, s.singleHeight-1)
	if err != nil {
		t.Fatal(err)
	}
	if prev.History, err = s.ms[0].st.History(s.singleIssuer, prev.Height); err != nil {
		t.Fatal(err)
	}
	s.tp.use(&tampering{name: "one block behind",
		answer: func(int64, []*querypb.Proof) *querypb.Response { return notFound() },
		heads:  func([]*chainpb.SignedHeader) []*chainpb.SignedHeader { return []*chainpb.SignedHeader{prev.Proto()} }})
	res, err = s.lc.Lookup(ctx, s.single, s.tp.h.ID(), s.ms[0].id())
	want.Head = s.singleHeight - 1
	if err != nil || len(res.Behind) != 1 || res.Behind[0] != want {
		t.Fatalf("a peer one block behind: %+v %v", res.Behind, err)
	}

	// Caught up between its answer and its heads: asked again, it serves
	// the record.
	s.tp.use(&tampering{name: "catching up", answer: func(n int64, proofs []*querypb.Proof) *querypb.Response {
		if n == 1 {
			return notFound()
		}
		return okProofs(proofs)
	}})
	res, err = s.lc.Lookup(ctx, s.single, s.tp.h.ID(), s.ms[0].id())
	if err != nil || len(res.Behind) != 1 || !res.Behind[0].CaughtUp || len(res.Payments[0].Peers) != 2 {
		t.Fatalf("a peer that caught up: %+v %v", res, err)
	}
}

// Two different signed headers of one issuer at one height, seen across
// the peers' proofs, are a fork with its own error and verifiable
// evidence; so are two payments of one issuer under one order ID.
func TestForkedIssuerIsReported(t *testing.T) {
	s := newShadowed(t)
	ctx := lookupCtx(t)
	real := s.headerOfSingle()
	prev, err := s.ms[0].st.Header(s.singleIssuer, real.Height-1)
	if err != nil {
		t.Fatal(err)
	}
	if prev.History, err = s.ms[0].st.History(s.singleIssuer, prev.Height); err != nil {
		t.Fatal(err)
	}
	// forkAt serves the single record in another block of member 1 that
	// follows parent: signed with member 1's key, so it verifies.
	forkAt := func(parent *chain.SignedHeader) *tampering {
		return &tampering{name: "fork", answer: func(_ int64, proofs []*querypb.Proof) *querypb.Response {
			entry := proofs[0].Entry
			entries := [][]byte{entry, chaintest.PaymentEntry(1, 999)}
			blk, tree, err := chain.SealBlock(chaintest.NetworkID, parent, entries, chaintest.Key(1), time.Now())
			if err != nil {
				panic(err)
			}
			path, err := tree.Proof(0)
			if err != nil {
				panic(err)
			}
			pb := &querypb.Proof{Entry: entry, Index: 0, Header: blk.SignedHeader.Proto()}
			for _, h := range path {
				pb.Path = append(pb.Path, append([]byte(nil), h[:]...))
			}
			return okProofs([]*querypb.Proof{pb})
		}}
	}
	s.tp.use(forkAt(prev))
	if got, err := s.lc.LookupPayment(ctx, s.single, s.tp.h.ID()); err != nil || got[0].Height != real.Height || got[0].Header.Hash == real.Hash {
		t.Fatalf("the forked block alone verifies: %v", err)
	}
	_, err = s.lc.Lookup(ctx, s.single, s.tp.h.ID(), s.ms[0].id())
	var fe *queryproto.ForkError
	if !errors.Is(err, queryproto.ErrForked) || !errors.As(err, &fe) || errors.Is(err, queryproto.ErrVerify) || errors.Is(err, queryproto.ErrConflict) {
		t.Fatalf("two headers at one height: %v, want ErrForked", err)
	}
	if fe.Issuer != s.singleIssuer || fe.Evidence == nil || fe.Evidence.Verify(s.ms[0].members, chaintest.NetworkID) != nil {
		t.Fatalf("fork of %s with evidence %+v", fe.Issuer.Short(), fe.Evidence)
	}

	// The same record in a later block of the issuer's chain.
	s.tp.use(forkAt(s.ms[0].st.Head(s.singleIssuer)))
	_, err = s.lc.Lookup(ctx, s.single, s.tp.h.ID(), s.ms[0].id())
	if !errors.As(err, &fe) || fe.Evidence != nil || fe.A.Height == fe.B.Height {
		t.Fatalf("one order ID twice in a chain: %v, want ErrForked without evidence", err)
	}
}
