package governance_test

import (
	"errors"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/governance"
)

// chainOf builds blocks of member n with the given entries, one block per
// time, linked from head.
type chainOf struct {
	t    *testing.T
	n    int
	head *chain.SignedHeader
}

func (c *chainOf) block(bt time.Time, entries ...[]byte) *chain.Block {
	c.t.Helper()
	if len(entries) == 0 {
		entries = [][]byte{chaintest.PaymentEntry(c.n, int(bt.Unix()))}
	}
	b, err := chain.NewBlock(chaintest.NetworkID, c.head, entries, chaintest.Key(c.n), bt)
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

// add validates b with v at now, stores it in v and moves the head.
func (c *chainOf) add(v *governance.View, b *chain.Block, now time.Time) {
	c.t.Helper()
	vb, err := v.ValidateBlock(b, c.head, now)
	if err != nil {
		c.t.Fatalf("block %d of member %d: %v", b.Height, c.n, err)
	}
	v.AddBlock(vb)
	c.head = b.SignedHeader
}

func TestViewValidatesByEpoch(t *testing.T) {
	w := newWorld(t, 3)
	w.g.Params.Threshold = 2
	v := governance.NewView(w.g, chaintest.Params())
	c := make([]*chainOf, 8)
	for i := range c {
		c[i] = &chainOf{t: t, n: i}
	}
	now := at(10 * time.Hour)
	act := at(3 * time.Hour)
	rm, _ := chain.EncodeEntry(governance.RemoveEntry("rm", act, chaintest.Issuer(2), ""))
	rot, _ := chain.EncodeEntry(governance.RotateEntry("rot", act, chaintest.Issuer(1), chaintest.Issuer(5), nil, ""))
	adm, _ := chain.EncodeEntry(governance.AdmitEntry("adm", act, newcomer(4), ""))
	ok1, _ := chain.EncodeEntry(governance.ApprovalEntry(chaintest.Issuer(0), "rm", rm))
	ok2, _ := chain.EncodeEntry(governance.ApprovalEntry(chaintest.Issuer(0), "rot", rot))
	ok3, _ := chain.EncodeEntry(governance.ApprovalEntry(chaintest.Issuer(0), "adm", adm))

	// Removed member 2's history before its removal, written before the
	// decisions, verifies; so does the rotated key's.
	early2 := c[2].block(at(30 * time.Minute))
	c[2].add(v, early2, now)
	c[0].add(v, c[0].block(at(time.Hour), rm, rot, adm), now)
	c[1].add(v, c[1].block(at(time.Hour), ok1, ok2, ok3), now)
	h := v.History()
	for _, r := range []string{"rm", "rot", "adm"} {
		if o, _ := h.Outcome(governance.Ref{Proposer: chaintest.Issuer(0), ID: r}); o.Status != governance.StatusPassed {
			t.Fatalf("%s: %s %s", r, o.Status, o.Reason)
		}
	}
	c[2].add(v, c[2].block(act.Add(-time.Second)), now) // just before its removal

	// After the activation: the removed and the old key are out, provably.
	for _, x := range []*chainOf{c[2], c[1]} {
		_, err := v.ValidateBlock(x.block(act), x.head, now)
		if !errors.Is(err, chain.ErrNotMember) || !chain.IsProvable(err) {
			t.Fatalf("member %d's block after its end: %v", x.n, err)
		}
	}
	// The newcomer and the new key write from the activation on, not
	// before.
	for _, x := range []*chainOf{c[4], c[5]} {
		if _, err := v.ValidateBlock(x.block(act.Add(-time.Millisecond)), nil, now); !errors.Is(err, chain.ErrNotMember) {
			t.Fatalf("member %d's block before its start: %v", x.n, err)
		}
		x.add(v, x.block(act), now)
	}
	if !v.Admitted(chaintest.Issuer(4), at(2*time.Hour)) || v.Admitted(chaintest.Issuer(6), at(2*time.Hour)) {
		t.Fatal("Admitted: a passed pending admission lets its newcomer in, nobody else")
	}
	if !v.IsMemberAt(chaintest.Issuer(5), act) || v.IsMemberAt(chaintest.Issuer(1), act) {
		t.Fatal("IsMemberAt after the rotation")
	}
}

func TestViewUnsettledMembershipIsNotProof(t *testing.T) {
	w := newWorld(t, 4)
	v := governance.NewView(w.g, chaintest.Params())
	now := at(10 * time.Hour)
	act := at(3 * time.Hour)
	adm, _ := chain.EncodeEntry(governance.AdmitEntry("adm", act, newcomer(4), ""))
	c0 := &chainOf{t: t, n: 0}
	c0.add(v, c0.block(at(time.Hour), adm), now)
	// Only the proposer's approval is held, and members 1..3 have no block
	// past the activation: the newcomer's block cannot be judged.
	c4 := &chainOf{t: t, n: 4}
	_, err := v.ValidateBlock(c4.block(act), nil, now)
	if !errors.Is(err, chain.ErrMembershipUnsettled) || chain.IsProvable(err) {
		t.Fatalf("newcomer's block with the decision open: %v", err)
	}
	// The approvals arrive: the block verifies.
	for _, n := range []int{1, 2} {
		ap, _ := chain.EncodeEntry(governance.ApprovalEntry(chaintest.Issuer(0), "adm", adm))
		c := &chainOf{t: t, n: n}
		c.add(v, c.block(at(2*time.Hour), ap), now)
	}
	c4.add(v, c4.block(act), now)

	// A stranger no decision names is provably no member.
	c7 := &chainOf{t: t, n: 7}
	if _, err := v.ValidateBlock(c7.block(act), nil, now); !chain.IsProvable(err) {
		t.Fatalf("stranger's block: %v", err)
	}
}

func TestMaybeDecisionMatchesTheEncoding(t *testing.T) {
	for _, e := range []*chainpb.Entry{
		governance.AdmitEntry("a", at(time.Hour), newcomer(4), ""),
		governance.ApprovalEntry(chaintest.Issuer(1), "a", []byte("x")),
	} {
		data, err := chain.EncodeEntry(e)
		if err != nil || !governance.MaybeDecision(data) {
			t.Fatalf("decision not recognised: %v %x", err, data[:2])
		}
	}
	if governance.MaybeDecision(chaintest.PaymentEntry(0, 1)) || governance.MaybeDecision(chaintest.CreditEventEntry(1)) {
		t.Fatal("a payment or credit event taken for a decision")
	}
}
