package queryproto

import (
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/governance"
	"github.com/credmesh/credmesh/chain/merkle"
)

// decisionProof is the proof of the only entry of a one-entry block of
// member n at t.
func decisionProof(t *testing.T, n int, at time.Time, data []byte) *chain.Proof {
	t.Helper()
	b, err := chain.NewBlock(chaintest.NetworkID, nil, [][]byte{data}, chaintest.Key(n), at)
	if err != nil {
		t.Fatal(err)
	}
	path, err := merkle.InclusionProof([]merkle.Hash{merkle.LeafHash(data)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &chain.Proof{Entry: data, Index: 0, Path: path, Header: b.SignedHeader}
}

// A light client computes the members at a time from the decisions an
// answer carries: a proposal with enough approvals admits its newcomer;
// an approval by a key that was no member counts for nothing; an altered
// entry fails its inclusion.
func TestLightClientFollowsDecisions(t *testing.T) {
	g := governance.Genesis{Time: chaintest.Epoch, Params: governance.Params{ActivationDelay: time.Hour}}
	for i := range 4 {
		g.Members = append(g.Members, governance.Member{Issuer: chaintest.Issuer(i), Name: "m", Roles: chain.AllRoles})
	}
	lc := &LightClient{genesis: Genesis{NetworkID: chaintest.NetworkID, Members: chaintest.Members(4), Governance: &g}, verified: newHeaderCache(16)}
	at := func(d time.Duration) time.Time { return chaintest.Epoch.Add(d) }
	act := at(3 * time.Hour)
	newcomer := governance.Member{Issuer: chaintest.Issuer(4), Name: "new", Roles: chain.RolePayments}
	prop, _ := chain.EncodeEntry(governance.AdmitEntry("adm", act, newcomer, ""))
	approval, _ := chain.EncodeEntry(governance.ApprovalEntry(chaintest.Issuer(0), "adm", prop))
	ps := []*chain.Proof{decisionProof(t, 0, at(time.Hour), prop), decisionProof(t, 1, at(time.Hour), approval)}

	h, err := lc.membershipOf(append(ps, decisionProof(t, 7, at(time.Hour), approval))) // a stranger's approval
	if err != nil {
		t.Fatal(err)
	}
	if lc.membersAt(h, act).Contains(chaintest.Issuer(4)) {
		t.Fatal("two members and a stranger admitted a newcomer; three members are needed")
	}
	h, err = lc.membershipOf(append(ps, decisionProof(t, 2, at(time.Hour), approval)))
	if err != nil {
		t.Fatal(err)
	}
	if !lc.membersAt(h, act).Has(chaintest.Issuer(4), chain.RolePayments) || lc.membersAt(h, act.Add(-time.Millisecond)).Contains(chaintest.Issuer(4)) {
		t.Fatal("three approvals: the newcomer is a member from its activation on")
	}
	bad := decisionProof(t, 2, at(time.Hour), approval)
	bad.Entry = append([]byte(nil), prop...)
	if _, err := lc.membershipOf(append(ps, bad)); err == nil {
		t.Fatal("a decision whose entry is not in its block is taken")
	}
}
