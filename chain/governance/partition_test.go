package governance_test

import (
	"errors"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/governance"
)

// A partition during an activation: peer X is cut off from member 2's
// chain, which holds the deciding approval, until after the activation;
// peer Y holds every chain. X judges nothing it cannot (the newcomer's
// block is unsettled, not provably bad) and, once it holds what Y holds,
// both compute the same membership.
func TestPartitionDuringActivationEndsOnOneMembership(t *testing.T) {
	w := newWorld(t, 4)
	act := at(3 * time.Hour)
	p := w.propose(0, at(time.Hour), governance.AdmitEntry("admit-e", act, newcomer(4), ""))
	w.approve(1, at(90*time.Minute), p)
	cut := len(w.writes)
	w.approve(2, at(2*time.Hour), p) // on the far side of the partition
	w.heads(act.Add(time.Minute), 0, 1, 3)
	w.heads(act.Add(time.Minute), 2)

	var xs []write
	for i, x := range w.writes {
		if i != cut && !(x.issuer == id(2) && x.entry == nil) {
			xs = append(xs, x)
		}
	}
	x := governance.Compute(w.g, w.logOf(xs))
	y := w.history()
	wantStatus(t, y, p, governance.StatusPassed)
	o := wantStatus(t, x, p, governance.StatusShort)
	if !o.Unsettled || x.Settled(act, id(4)) {
		t.Fatal("the partitioned peer takes a short, unsettled outcome as settled")
	}
	b, err := chain.NewBlock(chaintest.NetworkID, nil, [][]byte{chaintest.PaymentEntry(4, 1)}, chaintest.Key(4), act)
	if err != nil {
		t.Fatal(err)
	}
	e := x.At(act)
	_, verr := chain.ValidateBlock(b, nil, e.ChainMembers(), chaintest.Params(), act.Add(time.Hour))
	if err := governance.Judge(x, verr, b.Issuer, b.Time); !errors.Is(err, chain.ErrMembershipUnsettled) || chain.IsProvable(err) {
		t.Fatalf("the newcomer's block on the partitioned side: %v", err)
	}
	// The partition heals: X receives member 2's chain.
	healed := governance.Compute(w.g, w.logOf(append(xs, w.writes[cut], write{issuer: id(2), time: act.Add(time.Minute)})))
	if summary(healed) != summary(y) {
		t.Fatalf("after the partition:\n%s\nvs\n%s", summary(healed), summary(y))
	}
	wantMembers(t, healed, act, 0, 1, 2, 3, 4)
}

// Two members propose, at the same activation time, to remove the same
// member and to rotate its key; whatever order the entries reach a peer
// in, every peer applies the first in (activation, proposer, ID) order
// and voids the other.
func TestTwoRacingProposalsEndOnOneMembership(t *testing.T) {
	w := newWorld(t, 4)
	act := at(3 * time.Hour)
	rm := w.propose(1, at(time.Hour), governance.RemoveEntry("rm", act, id(3), ""))
	rot := w.propose(0, at(time.Hour), governance.RotateEntry("rot", act, id(3), id(5), nil, ""))
	for _, n := range []int{0, 2} {
		w.approve(n, at(2*time.Hour), rm)
	}
	for _, n := range []int{1, 2} {
		w.approve(n, at(2*time.Hour), rot)
	}
	h := w.history() // checks 20 orders of arrival give the same history
	first, second := rot, rm
	if compareIDs(id(1), id(0)) < 0 {
		first, second = rm, rot
	}
	wantStatus(t, h, first, governance.StatusPassed)
	wantStatus(t, h, second, governance.StatusVoid)
}

func compareIDs(a, b chain.IssuerID) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}
