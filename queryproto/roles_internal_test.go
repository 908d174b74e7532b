package queryproto

import (
	"errors"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
)

// Credit records of a responder without the credit role are refused
// (PROTOCOL.md 16): its own signature over its own block proves them, but
// no valid chain holds them.
func TestAnswerOfResponderWithoutCreditRole(t *testing.T) {
	q := testQuery(t, 1, "Q-role")
	ev := encode(t, eventEntry(event("E1", "A", chainpb.CreditEventKind_CREDIT_EVENT_KIND_OPENED, 100, 0, chaintest.Epoch)))
	sign := func(a CreditAnswer) *SignedAnswer {
		sa, err := SignAnswer(a, chaintest.Key(0))
		if err != nil {
			t.Fatal(err)
		}
		return sa
	}
	base := CreditAnswer{NetworkID: chaintest.NetworkID, Responder: chaintest.Issuer(0), QueryHash: q.Hash, Time: testTime, FeeMinor: 200, FeeCurrency: "CNY"}
	withRecords, withPrivate := base, base
	withRecords.Records = blockProofs(t, 0, ev)
	withPrivate.Private = [][]byte{ev}
	members := chaintest.Members(3)
	members[chaintest.Issuer(0)] = chain.RolePayments | chain.RoleQuery
	for name, a := range map[string]CreditAnswer{"records": withRecords, "private records": withPrivate} {
		if err := sign(a).Verify(q, chaintest.Issuer(0), members); !errors.Is(err, ErrVerify) || !contains(err, "responder role") {
			t.Errorf("%s of a responder without the credit role: %v, want ErrVerify naming the responder role", name, err)
		}
		if err := sign(a).Verify(q, chaintest.Issuer(0), chaintest.Members(3)); err != nil {
			t.Errorf("%s of a credit member: %v", name, err)
		}
	}
	if err := sign(base).Verify(q, chaintest.Issuer(0), members); err != nil {
		t.Errorf("an empty answer of a member without the credit role: %v", err)
	}
}
