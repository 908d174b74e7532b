package chain_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
)

func forkedPair(t *testing.T) (*chain.SignedHeader, *chain.SignedHeader) {
	t.Helper()
	a, err := chain.NewBlock(chaintest.NetworkID, nil, payments(2), chaintest.Key(0), chaintest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	b, err := chain.NewBlock(chaintest.NetworkID, nil, payments(3), chaintest.Key(0), chaintest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	return a.SignedHeader, b.SignedHeader
}

func TestEvidenceRoundTripAndVerify(t *testing.T) {
	members := chaintest.Members(2)
	a, b := forkedPair(t)
	ev := chain.NewEvidence(a, b)
	if ev == nil {
		t.Fatal("two different headers at one height are not evidence")
	}
	if other := chain.NewEvidence(b, a); !bytes.Equal(other.Marshal(), ev.Marshal()) {
		t.Fatal("evidence depends on the order it was found in")
	}
	got, err := chain.DecodeEvidence(ev.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Verify(members, chaintest.NetworkID); err != nil {
		t.Fatalf("valid evidence refused: %v", err)
	}
	if chain.NewEvidence(a, a) != nil {
		t.Fatal("one header twice is evidence")
	}
}

func TestEvidenceRejects(t *testing.T) {
	members := chaintest.Members(2)
	a, b := forkedPair(t)
	other, _ := chain.NewBlock(chaintest.NetworkID, nil, payments(1), chaintest.Key(1), chaintest.Epoch)
	next, _ := chain.NewBlock(chaintest.NetworkID, a, payments(1), chaintest.Key(0), chaintest.Epoch.Add(time.Second))
	badSig := append([]byte(nil), b.Signature...)
	badSig[0] ^= 1
	forged, _ := chain.DecodeSignedHeader(b.Raw, badSig)
	outsiderA, _ := chain.NewBlock(chaintest.NetworkID, nil, payments(1), chaintest.Key(5), chaintest.Epoch)
	outsiderB, _ := chain.NewBlock(chaintest.NetworkID, nil, payments(2), chaintest.Key(5), chaintest.Epoch)
	cases := []struct {
		name string
		ev   *chain.Evidence
		want error
	}{
		{"two issuers", &chain.Evidence{A: a, B: other.SignedHeader}, nil},
		{"two heights", &chain.Evidence{A: a, B: next.SignedHeader}, nil},
		{"same header", &chain.Evidence{A: a, B: a}, nil},
		{"forged signature", &chain.Evidence{A: a, B: forged}, chain.ErrBadSignature},
		{"non-member", &chain.Evidence{A: outsiderA.SignedHeader, B: outsiderB.SignedHeader}, chain.ErrNotMember},
	}
	for _, c := range cases {
		err := c.ev.Verify(members, chaintest.NetworkID)
		if !errors.Is(err, chain.ErrBadEvidence) || !chain.IsProvable(err) {
			t.Errorf("%s: got %v, want a provable ErrBadEvidence", c.name, err)
		}
		if c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want it to wrap %v", c.name, err, c.want)
		}
	}
	if err := chain.NewEvidence(a, b).Verify(members, "other-net"); !errors.Is(err, chain.ErrWrongNetwork) {
		t.Errorf("evidence of another network: %v", err)
	}
}
