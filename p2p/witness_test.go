package p2p_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/witness"
	"github.com/credmesh/credmesh/p2p"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"
)

// fastWitness makes a peer cosign every second, the shortest period.
func fastWitness(c *p2p.Config) { c.Params.WitnessPeriod = time.Second }

// appendChain stores blocks of another member's chain in p's store, as
// gossip would.
func appendChain(t *testing.T, p *peerNode, blocks []*chain.Block) {
	t.Helper()
	for _, b := range blocks {
		vb, err := chain.ValidateBlock(b, p.st.Head(b.Issuer), members, params(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := p.st.Append(vb); err != nil {
			t.Fatal(err)
		}
	}
}

// cosignedBy returns the height at which w's cosignature of chain iss,
// as p holds it, stands (0: none).
func cosignedBy(p *peerNode, iss, w chain.IssuerID) uint64 {
	for _, c := range p.net.Cosignatures(iss, 0) {
		if c.Witness == w {
			return c.Head.Height
		}
	}
	return 0
}

func viewOf(p *peerNode, w chain.IssuerID) p2p.WitnessView {
	for _, v := range p.net.WitnessStatus().Witnesses {
		if v.Witness == w {
			return v
		}
	}
	return p2p.WitnessView{}
}

// Every member cosigns the heads it verified each period; the others
// verify and keep the statement, and serve its cosignature of each chain.
func TestMembersCosignAndKeepEachOthersHeads(t *testing.T) {
	a := startPeer(t, 0, "", nil, fastWitness)
	b := startPeer(t, 1, "", []peer.AddrInfo{a.info()}, fastWitness)
	awaitMeshes(t, 20*time.Second, 1, a, b)
	a.seal(context.Background(), 3, 2)
	iss := chaintest.Issuer(0)
	eventually(t, 30*time.Second, "each holds both members' cosignatures of chain 0 at height 3", func() bool {
		return cosignedBy(a, iss, chaintest.Issuer(1)) == 3 && cosignedBy(b, iss, chaintest.Issuer(0)) == 3 &&
			cosignedBy(b, iss, chaintest.Issuer(1)) == 3
	})
	for _, c := range b.net.Cosignatures(iss, 3) {
		if err := c.Verify(chaintest.NetworkID, members); err != nil {
			t.Fatalf("served cosignature of %s: %v", c.Witness.Short(), err)
		}
	}
	st := b.net.WitnessStatus()
	if st.Made == 0 || st.Period != time.Second {
		t.Fatalf("status: made %d, period %s", st.Made, st.Period)
	}
	if v := viewOf(b, chaintest.Issuer(0)); v.Received == 0 || v.LastTime.IsZero() || v.BlocksBehind != 0 {
		t.Fatalf("member 1's view of witness 0: %+v", v)
	}
	if v := viewOf(b, chaintest.Issuer(3)); v.BlocksBehind != 3 || v.Received != 0 {
		t.Fatalf("a member that never cosigned: %+v, want 3 blocks behind", v)
	}
	if s := b.net.Stats(); s.WitnessBytesReceived == 0 || s.WitnessBytesSent == 0 || s.WitnessTraffic.In() == 0 || s.WitnessTraffic.MessagesOut == 0 {
		t.Fatalf("witness traffic not counted: %+v", s)
	}
	// Later statements carry only the heads that moved (chain 1's new
	// head, not chain 0's); the receiver completes them from the
	// statement it holds, and keeps serving chain 0's cosignature.
	b.seal(context.Background(), 2, 2)
	own := chaintest.Issuer(1)
	eventually(t, 30*time.Second, "member 0 cosigns member 1's chain, and member 1 keeps it", func() bool {
		return cosignedBy(b, own, chaintest.Issuer(0)) == 2
	})
	if h := cosignedBy(b, iss, chaintest.Issuer(0)); h != 3 {
		t.Fatalf("after a statement of changes, member 0's cosignature of chain 0 stands at %d, want 3", h)
	}
	if v := viewOf(b, chaintest.Issuer(0)); v.Received < 2 || v.Rejected != 0 {
		t.Fatalf("member 1's view of witness 0 after its second statement: %+v", v)
	}
}

// A witness never cosigns a head below, or beside, the one it cosigned
// before, and keeps that promise across a restart: what it cosigned is
// persisted before it is gossiped.
func TestWitnessNeverRegressesAcrossRestart(t *testing.T) {
	w := chaintest.Issuer(0)
	x := chaintest.Issuer(5)
	chainX := chaintest.BulkChain(5, nil, 0, 6, 2) // 3 blocks
	a := startPeer(t, 0, "", nil, fastWitness)
	appendChain(t, a, chainX)
	eventually(t, 30*time.Second, "the witness cosigns chain 5 at height 3", func() bool { return cosignedBy(a, x, w) == 3 })
	own, err := a.st.OwnCosigned()
	if err != nil || own == nil {
		t.Fatalf("the cosigned heads are not in the store: %v", err)
	}
	dir := a.dir
	a.stop()

	// Restarted with a clock an hour back, no block is old enough to be a
	// candidate: the witness still stands at height 3, never below.
	hourAgo := func() time.Time { return time.Now().Add(-time.Hour) }
	a = startPeer(t, 0, dir, nil, fastWitness, func(c *p2p.Config) { c.Now = hourAgo })
	if err := a.net.CosignNow(context.Background()); !errors.Is(err, p2p.ErrNothingToCosign) {
		t.Fatalf("cosigning with no candidate: %v", err)
	}
	if h := cosignedBy(a, x, w); h != 3 {
		t.Fatalf("after a restart the witness stands at height %d, want 3", h)
	}
	a.stop()

	// The store lost and rebuilt from a replica that holds another chain
	// 5 (a fork, four blocks long), with the witness's promise restored:
	// the longer fork does not extend what was cosigned, and is refused.
	b := startPeer(t, 0, "", nil, fastWitness)
	if err := b.st.SaveOwnCosigned(own); err != nil {
		t.Fatal(err)
	}
	appendChain(t, b, chaintest.BulkChain(5, nil, 1000, 8, 2))
	b.stop()
	b = startPeer(t, 0, b.dir, nil, fastWitness)
	err = b.net.CosignNow(context.Background())
	if !errors.Is(err, p2p.ErrNothingToCosign) {
		t.Fatalf("cosigning a fork of what was cosigned: %v", err)
	}
	if b.net.WitnessStatus().Refused == 0 {
		t.Fatal("the refused fork is not counted")
	}
	if h := cosignedBy(b, x, w); h != 3 {
		t.Fatalf("the witness stands at height %d of chain 5, want the 3 it cosigned before", h)
	}
}

// signedAfter signs heads as key until its signature's time is after
// prev's (the signature carries whole seconds).
func signedAfter(t *testing.T, heads []witness.Head, key int, prev *witness.Statement) *witness.Statement {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		s, err := witness.Sign(chaintest.NetworkID, heads, chaintest.Key(key))
		if err != nil {
			t.Fatal(err)
		}
		if prev == nil || s.Time().After(prev.Time()) {
			return s
		}
		time.Sleep(50 * time.Millisecond) // the next whole second of the clock
	}
	t.Fatal("the clock did not move on")
	return nil
}

func headsOf(p *peerNode, iss chain.IssuerID, height uint64) []witness.Head {
	h, err := p.st.Header(iss, height)
	if err != nil {
		panic(err)
	}
	return []witness.Head{{Issuer: iss, Height: height, Hash: h.Hash}}
}

// A member that cosigns a head, then a lower one of the same chain, has
// broken the never-regress rule: the two cosignatures are evidence, which
// every member keeps, and the witness's cosignatures are served no more.
func TestEquivocatingWitnessBecomesEvidence(t *testing.T) {
	a := startPeer(t, 0, "", nil, fastWitness)
	b := startPeer(t, 1, "", []peer.AddrInfo{a.info()}, fastWitness)
	awaitMeshes(t, 20*time.Second, 1, a, b)
	a.seal(context.Background(), 3, 2)
	iss := chaintest.Issuer(0)
	eventually(t, 30*time.Second, "member 1 holds chain 0", func() bool { return heightOf(b, 0) == 3 })
	bad := newRogueOn(t, chaintest.Key(5), p2p.WitnessTopic(chaintest.NetworkID), a)
	bad.waitForMesh(t, a)
	order := witness.MemberOrder(members)
	high := signedAfter(t, headsOf(a, iss, 3), 5, nil)
	data, err := high.MarshalGossip(order)
	if err != nil {
		t.Fatal(err)
	}
	bad.publishBytes(t, data)
	w5 := chaintest.Issuer(5)
	eventually(t, 20*time.Second, "member 1 keeps witness 5's statement", func() bool { return cosignedBy(b, iss, w5) == 3 })
	low := signedAfter(t, headsOf(a, iss, 2), 5, high)
	if data, err = low.MarshalGossip(order); err != nil {
		t.Fatal(err)
	}
	bad.publishBytes(t, data)
	eventually(t, 20*time.Second, "both members hold evidence against witness 5", func() bool {
		return a.net.WitnessForked()[w5] != nil && b.net.WitnessForked()[w5] != nil
	})
	ev := b.net.WitnessForked()[w5]
	if err := ev.Verify(chaintest.NetworkID, members); err != nil {
		t.Fatalf("the evidence: %v", err)
	}
	if cosignedBy(b, iss, w5) != 0 {
		t.Fatal("an equivocating witness's cosignature is still served")
	}
	if !viewOf(b, w5).Forked {
		t.Fatal("status does not mark the witness forked")
	}
	kept, err := b.st.WitnessEvidence()
	if err != nil || kept[w5] == nil {
		t.Fatalf("the evidence is not in the store: %v", err)
	}
}

// A statement with a bad signature, or cosigned by a key outside the
// genesis, is rejected, and the member that sent it is scored down.
func TestBadCosignatureIsDroppedAndScored(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(t *testing.T, heads []witness.Head) []byte
	}{
		{"bad signature", func(t *testing.T, heads []witness.Head) []byte {
			s := signedAfter(t, heads, 5, nil)
			s.Signature[10] ^= 1
			data, err := s.MarshalGossip(witness.MemberOrder(members))
			if err != nil {
				t.Fatal(err)
			}
			return data
		}},
		{"non-member witness", func(t *testing.T, heads []witness.Head) []byte {
			s := signedAfter(t, heads, 40, nil) // key 40 is no member
			// The gossip form names a member by index; an outsider's key
			// can only go in the witness field.
			pb, err := s.Proto(witness.MemberOrder(members), witness.GossipHashPrefix)
			if err != nil {
				t.Fatal(err)
			}
			data, err := proto.Marshal(&chainpb.WitnessMessage{Body: &chainpb.WitnessMessage_Cosigned{Cosigned: pb}})
			if err != nil {
				t.Fatal(err)
			}
			return data
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := startPeer(t, 0, "", nil, fastWitness)
			a.seal(context.Background(), 1, 1)
			bad := newRogueOn(t, chaintest.Key(5), p2p.WitnessTopic(chaintest.NetworkID), a)
			bad.waitForMesh(t, a)
			bad.publishBytes(t, tc.make(t, headsOf(a, chaintest.Issuer(0), 1)))
			eventually(t, 20*time.Second, "the statement is rejected and the sender's score is negative", func() bool {
				score, ok := a.net.PeerScores()[bad.h.ID()]
				return a.net.Stats().WitnessRejected >= 1 && ok && score < 0
			})
			if cosignedBy(a, chaintest.Issuer(0), chaintest.Issuer(5)) != 0 || cosignedBy(a, chaintest.Issuer(0), chaintest.Issuer(40)) != 0 {
				t.Fatal("the rejected statement is kept")
			}
		})
	}
}
