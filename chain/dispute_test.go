package chain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
)

func disputeOf(issuer int, target []byte, edit func(*chainpb.Dispute)) *chainpb.Entry {
	iss := chaintest.Issuer(issuer)
	d := &chainpb.Dispute{DisputeId: "DSP-1", SubjectRef: chaintest.Ref(1), Issuer: iss[:], TargetKey: target, Statement: "I never had this loan"}
	if edit != nil {
		edit(d)
	}
	return &chainpb.Entry{Body: &chainpb.Entry_Dispute{Dispute: d}}
}

func confirmationOf(disputer int, target []byte, edit func(*chainpb.Confirmation)) *chainpb.Entry {
	iss := chaintest.Issuer(disputer)
	c := &chainpb.Confirmation{Disputer: iss[:], DisputeId: "DSP-1", TargetKey: target, Reason: "the contract is signed"}
	if edit != nil {
		edit(c)
	}
	return &chainpb.Entry{Body: &chainpb.Entry_Confirmation{Confirmation: c}}
}

// Disputes and confirmations are judged by every replica alike: their
// fields, who may write them, and their keys (one confirmation per
// dispute).
func TestValidateBlockJudgesDisputes(t *testing.T) {
	members, params := rightsMembers(), chaintest.Params()
	blockTime := chaintest.Epoch.Add(time.Hour)
	creditKey := chain.EntryKey(&chainpb.Entry{Body: &chainpb.Entry_CreditEvent{CreditEvent: chaintest.CreditEvent(1)}})
	payKey := append([]byte{chain.KeyPayment}, make([]byte, 32)...)
	receiptKey := chain.EntryKey(chaintest.ReceiptEntry(chaintest.Receipt(queryOnly, 1)))
	for _, c := range []struct {
		name    string
		issuer  int
		entries []*chainpb.Entry
		want    error
		says    string
	}{
		{"a dispute entered by a query-only member", queryOnly, []*chainpb.Entry{disputeOf(creditOnly, creditKey, nil)}, nil, ""},
		{"a dispute entered by a payments-only member", paymentsOnly, []*chainpb.Entry{disputeOf(creditOnly, creditKey, nil)}, nil, ""},
		{"a dispute of a payment", creditOnly, []*chainpb.Entry{disputeOf(paymentsOnly, payKey, nil)}, nil, ""},
		{"a dispute of one's own entry", creditOnly, []*chainpb.Entry{disputeOf(creditOnly, creditKey, nil)}, chain.ErrBadEntry, "corrects it"},
		{"a dispute of a non-member's entry", creditOnly, []*chainpb.Entry{disputeOf(9, creditKey, nil)}, chain.ErrBadEntry, "is not a member"},
		{"a dispute of a receipt", creditOnly, []*chainpb.Entry{disputeOf(allRoles, receiptKey, nil)}, chain.ErrBadEntry, "a receipt cannot be corrected"},
		{"a dispute without a statement", creditOnly, []*chainpb.Entry{disputeOf(allRoles, creditKey, func(d *chainpb.Dispute) { d.Statement = "" })}, chain.ErrBadEntry, "statement: required"},
		{"a statement too long", creditOnly, []*chainpb.Entry{disputeOf(allRoles, creditKey, func(d *chainpb.Dispute) { d.Statement = strings.Repeat("x", chain.MaxStatementLen+1) })}, chain.ErrBadEntry, "statement"},
		{"a short subject reference", creditOnly, []*chainpb.Entry{disputeOf(allRoles, creditKey, func(d *chainpb.Dispute) { d.SubjectRef = d.SubjectRef[:8] })}, chain.ErrBadEntry, "subject_ref"},
		{"a short issuer", creditOnly, []*chainpb.Entry{disputeOf(allRoles, creditKey, func(d *chainpb.Dispute) { d.Issuer = d.Issuer[:8] })}, chain.ErrBadEntry, "issuer"},
		{"no dispute ID", creditOnly, []*chainpb.Entry{disputeOf(allRoles, creditKey, func(d *chainpb.Dispute) { d.DisputeId = "" })}, chain.ErrBadEntry, "dispute_id"},
		{"two disputes under one ID", creditOnly, []*chainpb.Entry{disputeOf(allRoles, creditKey, nil), disputeOf(paymentsOnly, payKey, nil)}, chain.ErrDuplicateKey, ""},

		{"a confirmation of a credit event by a credit member", creditOnly, []*chainpb.Entry{confirmationOf(queryOnly, creditKey, nil)}, nil, ""},
		{"a confirmation of a credit event by a payments-only member", paymentsOnly, []*chainpb.Entry{confirmationOf(queryOnly, creditKey, nil)}, chain.ErrNoRole, "confirmations of credit events are written only by members with the credit role"},
		{"a confirmation of a payment by a credit-only member", creditOnly, []*chainpb.Entry{confirmationOf(queryOnly, payKey, nil)}, chain.ErrNoRole, "payments role"},
		{"a confirmation of one's own dispute", creditOnly, []*chainpb.Entry{confirmationOf(creditOnly, creditKey, nil)}, chain.ErrBadEntry, "another member's dispute"},
		{"a confirmation without a reason", creditOnly, []*chainpb.Entry{confirmationOf(queryOnly, creditKey, func(c *chainpb.Confirmation) { c.Reason = "" })}, chain.ErrBadEntry, "reason"},
		{"a confirmation of a receipt", creditOnly, []*chainpb.Entry{confirmationOf(queryOnly, receiptKey, nil)}, chain.ErrBadEntry, "receipt"},
		{"two confirmations of one dispute", creditOnly, []*chainpb.Entry{confirmationOf(queryOnly, creditKey, nil), confirmationOf(queryOnly, creditKey, func(c *chainpb.Confirmation) { c.Reason = "again" })}, chain.ErrDuplicateKey, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var data [][]byte
			for _, e := range c.entries {
				data = append(data, encode(t, e))
			}
			b, err := chain.NewBlock(chaintest.NetworkID, nil, data, chaintest.Key(c.issuer), blockTime)
			if err != nil {
				if c.want != nil && errors.Is(err, c.want) && strings.Contains(err.Error(), c.says) {
					return // refused already when sealing
				}
				t.Fatal(err)
			}
			_, err = chain.ValidateBlock(b, nil, members, params, blockTime)
			if c.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, c.want) || !chain.IsProvable(err) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("got %v, want a provable %v saying %q", err, c.want, c.says)
			}
		})
	}
}

func TestDisputeDeadlineFromTheGenesis(t *testing.T) {
	at := chaintest.Epoch
	p := chaintest.Params()
	if got := chain.DisputeDeadline(at, p); !got.Equal(at.AddDate(0, 0, 20)) {
		t.Fatalf("default deadline %s, want 20 days later", got)
	}
	p.DisputeResponse = 30 * 24 * time.Hour
	if got := chain.DisputeDeadline(at, p); !got.Equal(at.AddDate(0, 0, 30)) {
		t.Fatalf("deadline %s, want 30 days later", got)
	}
}
