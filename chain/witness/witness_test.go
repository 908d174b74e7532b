package witness_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/merkle"
	"github.com/credmesh/credmesh/chain/witness"
)

const net = "testnet"

func key(seed byte) (ed25519.PrivateKey, chain.IssuerID) {
	k := ed25519.NewKeyFromSeed(sha256.New().Sum([]byte{seed})[:32])
	return k, chain.IssuerOf(k.Public().(ed25519.PublicKey))
}

func hash(s string) chain.Hash { return sha256.Sum256([]byte(s)) }

// fixture: three members, each with a chain.
func fixture() (ed25519.PrivateKey, chain.Members, []witness.Head) {
	wk, w := key(1)
	_, a := key(2)
	_, b := key(3)
	heads := []witness.Head{{Issuer: w, Height: 3, Hash: hash("w3")}, {Issuer: a, Height: 7, Hash: hash("a7")}, {Issuer: b, Height: 1, Hash: hash("b1")}}
	witness.SortHeads(heads)
	return wk, chain.NewMembers(w, a, b), heads
}

func TestStatementSignsEveryChainOnce(t *testing.T) {
	wk, members, heads := fixture()
	s, err := witness.Sign(net, heads, wk)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(net, members); err != nil {
		t.Fatalf("own statement: %v", err)
	}
	if err := s.Verify("othernet", members); !errors.Is(err, witness.ErrBadSignature) {
		t.Fatalf("statement checked against another network: %v", err)
	}
	tree := merkle.NewTree(witness.Leaves(s.Heads))
	for _, h := range heads {
		c, ok := witness.CosignatureOf(s, tree, h.Issuer)
		if !ok {
			t.Fatalf("no cosignature of %s", h.Issuer.Short())
		}
		if err := c.Verify(net, members); err != nil {
			t.Fatalf("cosignature of %s: %v", h.Issuer.Short(), err)
		}
		bad := c
		bad.Head.Height++
		if err := bad.Verify(net, members); err == nil {
			t.Fatal("a cosignature verified for another height")
		}
		bad = c
		bad.Head.Hash[0] ^= 1
		if err := bad.Verify(net, members); err == nil {
			t.Fatal("a cosignature verified for another hash")
		}
	}
	// A witness outside the genesis is refused even with a good signature.
	outsider, _ := key(9)
	so, err := witness.Sign(net, heads, outsider)
	if err != nil {
		t.Fatal(err)
	}
	if err := so.Verify(net, members); !errors.Is(err, witness.ErrNotMember) {
		t.Fatalf("outsider's statement: %v", err)
	}
}

func TestGossipFormCompletesHashesFromHeldHeaders(t *testing.T) {
	wk, members, heads := fixture()
	order := witness.MemberOrder(members)
	s, err := witness.Sign(net, heads, wk)
	if err != nil {
		t.Fatal(err)
	}
	data, err := s.MarshalGossip(order)
	if err != nil {
		t.Fatal(err)
	}
	byIssuerHeight := func(iss chain.IssuerID, h uint64) (chain.Hash, bool) {
		for _, x := range heads {
			if x.Issuer == iss && x.Height == h {
				return x.Hash, true
			}
		}
		return chain.Hash{}, false
	}
	got, ev, err := witness.DecodeMessage(data, order, byIssuerHeight)
	if err != nil || ev != nil {
		t.Fatalf("decode: %v %v", err, ev)
	}
	if err := got.Verify(net, members); err != nil {
		t.Fatalf("decoded statement: %v", err)
	}
	// A receiver that lacks a block cannot judge yet.
	_, _, err = witness.DecodeMessage(data, order, func(iss chain.IssuerID, h uint64) (chain.Hash, bool) {
		if iss == heads[0].Issuer {
			return chain.Hash{}, false
		}
		return byIssuerHeight(iss, h)
	})
	if !errors.Is(err, witness.ErrUnknownHead) {
		t.Fatalf("missing block: %v", err)
	}
	// One that holds another block at that height sees a split view.
	_, _, err = witness.DecodeMessage(data, order, func(iss chain.IssuerID, h uint64) (chain.Hash, bool) {
		if iss == heads[1].Issuer {
			return hash("other"), true
		}
		return byIssuerHeight(iss, h)
	})
	if !errors.Is(err, witness.ErrOtherView) {
		t.Fatalf("other view: %v", err)
	}
	if _, _, err := witness.DecodeMessage(append(data, 0xff), order, byIssuerHeight); !errors.Is(err, witness.ErrMalformed) {
		t.Fatalf("trailing garbage: %v", err)
	}
}

func TestAdvanceNeverRegresses(t *testing.T) {
	_, a := key(2)
	_, b := key(3)
	_, c := key(4)
	last := []witness.Head{{Issuer: a, Height: 5, Hash: hash("a5")}, {Issuer: b, Height: 2, Hash: hash("b2")}}
	witness.SortHeads(last)
	cand := []witness.Head{
		{Issuer: a, Height: 4, Hash: hash("a4")},  // lower: a stays at 5
		{Issuer: b, Height: 6, Hash: hash("b6'")}, // does not extend b2
		{Issuer: c, Height: 1, Hash: hash("c1")},  // new chain
	}
	witness.SortHeads(cand)
	extends := func(l, c witness.Head) bool { return c.Issuer != b }
	next, changed, refused := witness.Advance(last, cand, extends)
	if !changed {
		t.Fatal("a new chain is a change")
	}
	want := map[chain.IssuerID]witness.Head{a: last[indexOf(last, a)], b: last[indexOf(last, b)], c: {Issuer: c, Height: 1, Hash: hash("c1")}}
	if len(next) != 3 {
		t.Fatalf("next has %d heads", len(next))
	}
	for _, h := range next {
		if want[h.Issuer] != h {
			t.Fatalf("chain %s: cosigned %d, want %d", h.Issuer.Short(), h.Height, want[h.Issuer].Height)
		}
	}
	if len(refused) != 1 || refused[0].Candidate.Issuer != b {
		t.Fatalf("refused %v, want chain b's", refused)
	}
	// The same height with another hash is refused without asking.
	_, _, refused = witness.Advance(last, []witness.Head{{Issuer: a, Height: 5, Hash: hash("a5'")}}, func(witness.Head, witness.Head) bool { return true })
	if len(refused) != 1 {
		t.Fatal("a second hash at the cosigned height was not refused")
	}
	// Nothing new is no change.
	if _, changed, _ := witness.Advance(last, last, extends); changed {
		t.Fatal("the same heads again are a change")
	}
}

func indexOf(hs []witness.Head, iss chain.IssuerID) int {
	for i, h := range hs {
		if h.Issuer == iss {
			return i
		}
	}
	return -1
}

func TestConflictingCosignaturesAreEvidence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wk, members, heads := fixture()
		iss := heads[1].Issuer
		cos := func(hs []witness.Head) witness.Cosignature {
			s, err := witness.Sign(net, hs, wk)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := witness.CosignatureOf(s, merkle.NewTree(witness.Leaves(s.Heads)), iss)
			return c
		}
		first := cos(heads)
		time.Sleep(2 * time.Second) // virtual time: the next statement is later
		fork := append([]witness.Head(nil), heads...)
		fork[1].Hash = hash("fork")
		forked := cos(fork)
		ev := witness.NewEvidence(first, forked)
		if ev == nil {
			t.Fatal("two hashes at one height are not evidence")
		}
		if err := ev.Verify(net, members); err != nil {
			t.Fatalf("evidence: %v", err)
		}
		lower := append([]witness.Head(nil), heads...)
		lower[1].Height--
		regress := cos(lower)
		if ev := witness.NewEvidence(first, regress); ev == nil || ev.Verify(net, members) != nil {
			t.Fatal("a later, lower head is not evidence")
		}
		higher := append([]witness.Head(nil), heads...)
		higher[1].Height++
		if ev := witness.NewEvidence(first, cos(higher)); ev != nil {
			t.Fatal("an advance is evidence")
		}
		if witness.NewEvidence(first, first) != nil {
			t.Fatal("one cosignature twice is evidence")
		}
		ev.B.Signature = append([]byte(nil), ev.B.Signature...)
		ev.B.Signature[20] ^= 1
		if err := ev.Verify(net, members); !errors.Is(err, witness.ErrBadEvidence) {
			t.Fatalf("evidence with a bad signature: %v", err)
		}
	})
}
