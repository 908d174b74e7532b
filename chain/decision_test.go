package chain_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
)

func admitProposal(mod func(*chainpb.Proposal, *chainpb.AdmitMember)) *chainpb.Entry {
	a := &chainpb.AdmitMember{Issuer: bytesOf(chaintest.Issuer(9)), Name: "Shenzhen Bank", Roles: uint32(chain.RoleCredit | chain.RoleQuery), Addrs: []string{"/ip4/127.0.0.1/tcp/4001"}}
	p := &chainpb.Proposal{ProposalId: "admit-1", ActivateAtMs: chaintest.Epoch.Add(2 * time.Hour).UnixMilli(), Reason: "licensed", Change: &chainpb.Proposal_Admit{Admit: a}}
	if mod != nil {
		mod(p, a)
	}
	return &chainpb.Entry{Body: &chainpb.Entry_Proposal{Proposal: p}}
}

func TestValidateDecisionFields(t *testing.T) {
	key := bytesOf(chaintest.Issuer(1))
	cases := []struct {
		name, field string
		e           *chainpb.Entry
	}{
		{"no id", "proposal_id", admitProposal(func(p *chainpb.Proposal, _ *chainpb.AdmitMember) { p.ProposalId = "" })},
		{"bad time", "activate_at_ms", admitProposal(func(p *chainpb.Proposal, _ *chainpb.AdmitMember) { p.ActivateAtMs = 0 })},
		{"no change", "change", admitProposal(func(p *chainpb.Proposal, _ *chainpb.AdmitMember) { p.Change = nil })},
		{"short key", "admit.issuer", admitProposal(func(_ *chainpb.Proposal, a *chainpb.AdmitMember) { a.Issuer = key[:31] })},
		{"no name", "admit.name", admitProposal(func(_ *chainpb.Proposal, a *chainpb.AdmitMember) { a.Name = "" })},
		{"long name", "admit.name", admitProposal(func(_ *chainpb.Proposal, a *chainpb.AdmitMember) { a.Name = strings.Repeat("x", 65) })},
		{"no roles", "admit.roles", admitProposal(func(_ *chainpb.Proposal, a *chainpb.AdmitMember) { a.Roles = 0 })},
		{"unknown role", "admit.roles", admitProposal(func(_ *chainpb.Proposal, a *chainpb.AdmitMember) { a.Roles = 8 })},
		{"many addrs", "admit.addrs", admitProposal(func(_ *chainpb.Proposal, a *chainpb.AdmitMember) { a.Addrs = make([]string, 9) })},
		{"empty addr", "admit.addrs", admitProposal(func(_ *chainpb.Proposal, a *chainpb.AdmitMember) { a.Addrs = []string{""} })},
		{"control in reason", "reason", admitProposal(func(p *chainpb.Proposal, _ *chainpb.AdmitMember) { p.Reason = "a\x00b" })},
		{"remove short key", "remove.issuer", admitProposal(func(p *chainpb.Proposal, _ *chainpb.AdmitMember) {
			p.Change = &chainpb.Proposal_Remove{Remove: &chainpb.RemoveMember{Issuer: key[:3]}}
		})},
		{"rotate to itself", "rotate.new_issuer", admitProposal(func(p *chainpb.Proposal, _ *chainpb.AdmitMember) {
			p.Change = &chainpb.Proposal_Rotate{Rotate: &chainpb.RotateKey{Issuer: key, NewIssuer: key}}
		})},
		{"param without name", "param.name", admitProposal(func(p *chainpb.Proposal, _ *chainpb.AdmitMember) {
			p.Change = &chainpb.Proposal_Param{Param: &chainpb.ChangeParam{Value: "3"}}
		})},
		{"approval short hash", "proposal_hash", &chainpb.Entry{Body: &chainpb.Entry_Approval{Approval: &chainpb.Approval{Proposer: key, ProposalId: "x", ProposalHash: key[:5]}}}},
		{"approval no id", "proposal_id", &chainpb.Entry{Body: &chainpb.Entry_Approval{Approval: &chainpb.Approval{Proposer: key, ProposalHash: key}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := chain.ValidateEntry(c.e)
			if !errors.Is(err, chain.ErrBadEntry) || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("got %v, want a bad %s", err, c.field)
			}
		})
	}
	if err := chain.ValidateEntry(admitProposal(nil)); err != nil {
		t.Fatal(err)
	}
}

func TestDecisionKeysAndRights(t *testing.T) {
	p := admitProposal(nil)
	if k := chain.EntryKey(p); !bytes.Equal(k, append([]byte{chain.KeyProposal}, "admit-1"...)) {
		t.Fatalf("proposal key %x", k)
	}
	ap := &chainpb.Entry{Body: &chainpb.Entry_Approval{Approval: &chainpb.Approval{Proposer: bytesOf(chaintest.Issuer(1)), ProposalId: "admit-1", ProposalHash: chaintest.Ref(1)}}}
	if k := chain.EntryKey(ap); !bytes.Equal(k, chain.ApprovalKey(chaintest.Issuer(1), "admit-1")) || k[0] != chain.KeyApproval {
		t.Fatalf("approval key %x", k)
	}
	// Any member decides, whatever its roles; a non-member does not.
	members := chain.Members{chaintest.Issuer(2): chain.RoleQuery}
	params := chaintest.Params()
	bt := chaintest.Epoch
	if err := chain.CheckEntry(ap, chaintest.Issuer(2), members, params, bt); err != nil {
		t.Fatal(err)
	}
	// Approving one's own proposal is refused: the proposal counts already.
	if err := chain.CheckEntry(ap, chaintest.Issuer(1), chain.NewMembers(chaintest.Issuer(1)), params, bt); !chain.IsProvable(err) {
		t.Fatalf("own approval: %v", err)
	}
	// A proposal activates at least the activation delay after its block.
	if err := chain.CheckEntry(admitProposal(nil), chaintest.Issuer(2), members, params, bt); err != nil {
		t.Fatal(err)
	}
	late := bt.Add(2*time.Hour - params.ActivationDelay + time.Millisecond)
	if err := chain.CheckEntry(admitProposal(nil), chaintest.Issuer(2), members, params, late); !errors.Is(err, chain.ErrBadEntry) || !strings.Contains(err.Error(), "activation delay") {
		t.Fatalf("too soon: %v", err)
	}
	// A correction cannot target a decision.
	fix := correctionOf(admitProposal(nil))
	if err := chain.ValidateEntry(fix); !errors.Is(err, chain.ErrBadEntry) {
		t.Fatalf("correction of a proposal: %v", err)
	}
}

func bytesOf(id chain.IssuerID) []byte { return id[:] }
