package chain_test

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"google.golang.org/protobuf/proto"
)

// Members of the rights tests, by key number.
const (
	allRoles     = 0
	creditOnly   = 1
	paymentsOnly = 2
	queryOnly    = 3
	creditQuery  = 4
)

func rightsMembers() chain.Members {
	return chain.Members{
		chaintest.Issuer(allRoles):     chain.AllRoles,
		chaintest.Issuer(creditOnly):   chain.RoleCredit,
		chaintest.Issuer(paymentsOnly): chain.RolePayments,
		chaintest.Issuer(queryOnly):    chain.RoleQuery,
		chaintest.Issuer(creditQuery):  chain.RoleCredit | chain.RoleQuery,
	}
}

func correctionOf(target *chainpb.Entry) *chainpb.Entry {
	return &chainpb.Entry{Body: &chainpb.Entry_Correction{Correction: &chainpb.Correction{
		CorrectionId: "FIX-1", TargetKey: chain.EntryKey(target),
		Action: chainpb.CorrectionAction_CORRECTION_ACTION_WITHDRAW, Reason: "entered by mistake",
	}}}
}

// receiptOf is the receipt of q signed with key, charging fee.
func receiptOf(q *chainpb.CreditQuery, key ed25519.PrivateKey, fee uint64, currency string) *chainpb.Entry {
	return chaintest.ReceiptEntry(chaintest.ReceiptOf(q, key, fee, currency))
}

// Every replica judges an entry by its issuer's roles and, for a receipt,
// by the querier's signed query and the genesis fee: a block breaking any
// rule is provably bad, whoever validates it.
func TestValidateBlockEnforcesRolesAndReceipts(t *testing.T) {
	members, params := rightsMembers(), chaintest.Params()
	blockTime := chaintest.Epoch.Add(time.Hour)
	payment := func(issuer int) *chainpb.Entry {
		e, err := chain.SealPayment(chaintest.NetworkID, chaintest.Issuer(issuer), chaintest.PaymentRecord(issuer, 1))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	credit := &chainpb.Entry{Body: &chainpb.Entry_CreditEvent{CreditEvent: chaintest.CreditEvent(1)}}
	query := func(querier int, edit func(*chainpb.CreditQuery)) *chainpb.CreditQuery {
		q := chaintest.Query(querier, 1)
		q.TimeMs = blockTime.Add(-time.Minute).UnixMilli()
		if edit != nil {
			edit(q)
		}
		return q
	}
	fee, cur := uint64(chaintest.FeeMinor), chaintest.FeeCurrency
	good := func(querier int) *chainpb.Entry {
		return receiptOf(query(querier, nil), chaintest.Key(querier), fee, cur)
	}
	tampered := good(queryOnly)
	{
		q := query(queryOnly, func(q *chainpb.CreditQuery) { q.SubjectRef = chaintest.Ref(666) })
		tampered.GetQueryReceipt().Query, _ = proto.MarshalOptions{Deterministic: true}.Marshal(q)
	}
	secondUnderID := receiptOf(query(queryOnly, func(q *chainpb.CreditQuery) { q.SubjectRef = chaintest.Ref(2) }), chaintest.Key(queryOnly), fee, cur)

	for _, c := range []struct {
		name    string
		issuer  int
		entries []*chainpb.Entry
		want    error  // nil: valid
		says    string // in the error
	}{
		{"payment by a payments member", paymentsOnly, []*chainpb.Entry{payment(paymentsOnly)}, nil, ""},
		{"payment by a credit-only member", creditOnly, []*chainpb.Entry{payment(creditOnly)}, chain.ErrNoRole,
			"payments are written only by members with the payments role; this member has credit"},
		{"correction of a payment by a credit+query member", creditQuery, []*chainpb.Entry{correctionOf(payment(creditQuery))}, chain.ErrNoRole,
			"corrections of payments are written only by members with the payments role; this member has credit,query"},
		{"credit event by a credit member", creditOnly, []*chainpb.Entry{credit}, nil, ""},
		{"credit event by a payments-only member", paymentsOnly, []*chainpb.Entry{credit}, chain.ErrNoRole,
			"credit events are written only by members with the credit role; this member has payments"},
		{"correction of a credit event by a query-only member", queryOnly, []*chainpb.Entry{correctionOf(credit)}, chain.ErrNoRole, "the credit role"},
		{"correction of a receipt", creditOnly, []*chainpb.Entry{correctionOf(good(queryOnly))}, chain.ErrBadEntry, "a receipt cannot be corrected"},

		{"receipt of a query member's query", creditOnly, []*chainpb.Entry{good(queryOnly)}, nil, ""},
		{"receipt by a payments-only member", paymentsOnly, []*chainpb.Entry{good(queryOnly)}, chain.ErrNoRole,
			"query receipts are written only by members with the credit role; this member has payments"},
		{"receipt of a payments-only member's query", creditOnly, []*chainpb.Entry{good(paymentsOnly)}, chain.ErrNoRole,
			"is not a member with the query role; it has payments"},
		{"receipt of a non-member's query", creditOnly, []*chainpb.Entry{good(9)}, chain.ErrNoRole, "it has none"},
		{"receipt with no signature", creditOnly, []*chainpb.Entry{func() *chainpb.Entry {
			e := good(queryOnly)
			e.GetQueryReceipt().QuerySignature = nil
			return e
		}()}, chain.ErrBadEntry, "query_signature"},
		{"receipt of a query the querier never made", creditOnly, []*chainpb.Entry{receiptOf(query(queryOnly, nil), chaintest.Key(creditOnly), fee, cur)},
			chain.ErrBadEntry, "query_signature: does not verify"},
		{"receipt of a query altered after signing", creditOnly, []*chainpb.Entry{tampered}, chain.ErrBadEntry, "query_signature: does not verify"},
		{"receipt with a made-up fee", creditOnly, []*chainpb.Entry{receiptOf(query(queryOnly, nil), chaintest.Key(queryOnly), 5_000, cur)},
			chain.ErrBadEntry, "fee_minor: 5000"},
		{"receipt with the fee in another currency", creditOnly, []*chainpb.Entry{receiptOf(query(queryOnly, nil), chaintest.Key(queryOnly), fee, "USD")},
			chain.ErrBadEntry, "the genesis fee"},
		{"receipt with no fee of another's query", creditOnly, []*chainpb.Entry{receiptOf(query(queryOnly, nil), chaintest.Key(queryOnly), 0, "")},
			chain.ErrBadEntry, "fee_minor"},
		{"receipt of our own query, not billed", creditQuery, []*chainpb.Entry{receiptOf(query(creditQuery, nil), chaintest.Key(creditQuery), 0, "")}, nil, ""},
		{"receipt of our own query, billed", creditQuery, []*chainpb.Entry{good(creditQuery)}, chain.ErrBadEntry, "not billed"},
		{"receipt of a query for another network", creditOnly, []*chainpb.Entry{receiptOf(query(queryOnly, func(q *chainpb.CreditQuery) { q.NetworkId = "other-net" }), chaintest.Key(queryOnly), fee, cur)},
			chain.ErrBadEntry, `for network "other-net"`},
		{"receipt of a query made after the block, within the limit", creditOnly, []*chainpb.Entry{receiptOf(query(queryOnly, func(q *chainpb.CreditQuery) {
			q.TimeMs = blockTime.Add(chain.MaxQueryAge).UnixMilli()
		}), chaintest.Key(queryOnly), fee, cur)}, nil, ""},
		{"receipt of a query made too long after the block", creditOnly, []*chainpb.Entry{receiptOf(query(queryOnly, func(q *chainpb.CreditQuery) {
			q.TimeMs = blockTime.Add(chain.MaxQueryAge + time.Millisecond).UnixMilli()
		}), chaintest.Key(queryOnly), fee, cur)}, chain.ErrBadEntry, "after its block's"},
		{"receipt of a query made long before the block (it waited in the pool)", creditOnly, []*chainpb.Entry{receiptOf(query(queryOnly, func(q *chainpb.CreditQuery) {
			q.TimeMs = blockTime.AddDate(0, -2, 0).UnixMilli()
		}), chaintest.Key(queryOnly), fee, cur)}, nil, ""},
		{"two queries under one query ID", creditOnly, []*chainpb.Entry{good(queryOnly), secondUnderID}, chain.ErrDuplicateKey, "query ID"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var data [][]byte
			for _, e := range c.entries {
				data = append(data, encode(t, e))
			}
			b, err := chain.NewBlock(chaintest.NetworkID, nil, data, chaintest.Key(c.issuer), blockTime)
			if err != nil {
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

// CheckEntry is what the builder runs on submission: the same verdicts as
// block validation, at the builder's clock.
func TestCheckEntryMatchesValidation(t *testing.T) {
	members, params := rightsMembers(), chaintest.Params()
	r := chaintest.ReceiptEntry(chaintest.Receipt(queryOnly, 1))
	at := time.UnixMilli(chaintest.Query(queryOnly, 1).TimeMs)
	if err := chain.CheckEntry(r, chaintest.Issuer(creditOnly), members, params, at); err != nil {
		t.Fatal(err)
	}
	if err := chain.CheckEntry(r, chaintest.Issuer(creditOnly), members, params, at.Add(-chain.MaxQueryAge-time.Second)); !errors.Is(err, chain.ErrBadEntry) {
		t.Fatalf("a query from the future: %v", err)
	}
	if err := chain.CheckEntry(r, chaintest.Issuer(queryOnly), members, params, at); !errors.Is(err, chain.ErrNoRole) {
		t.Fatalf("a receipt by a query-only member: %v", err)
	}
}
