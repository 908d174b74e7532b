package chain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"google.golang.org/protobuf/proto"
)

// fieldCase breaks one field of a valid message; the error must name it.
type fieldCase[M proto.Message] struct {
	field string
	edit  func(M)
}

func runFieldCases[M proto.Message](t *testing.T, valid func() M, validate func(M) error, cases []fieldCase[M]) {
	t.Helper()
	if err := validate(valid()); err != nil {
		t.Fatalf("the valid message is refused: %v", err)
	}
	for _, c := range cases {
		m := valid()
		c.edit(m)
		err := validate(m)
		if !errors.Is(err, chain.ErrBadEntry) {
			t.Errorf("%s: got %v, want ErrBadEntry", c.field, err)
			continue
		}
		if !strings.Contains(err.Error(), "."+c.field+":") {
			t.Errorf("%s: error %q does not name the field", c.field, err)
		}
		if !chain.IsProvable(err) {
			t.Errorf("%s: an invalid entry must be provable", c.field)
		}
	}
}

func TestPaymentRecordFields(t *testing.T) {
	type R = *chainpb.PaymentRecord
	runFieldCases(t, func() R { return chaintest.PaymentRecord(0, 1) }, chain.ValidatePaymentRecord, []fieldCase[R]{
		{"order_id", func(r R) { r.OrderId = "" }},
		{"order_id", func(r R) { r.OrderId = "has spaces in it" }},
		{"payer_ref", func(r R) { r.PayerRef = r.PayerRef[:31] }},
		{"category", func(r R) { r.Category = 0 }},
		{"category", func(r R) { r.Category = 99 }},
		{"amount_minor", func(r R) { r.AmountMinor = chain.MaxAmountMinor + 1 }},
		{"currency", func(r R) { r.Currency = "cny" }},
		{"currency", func(r R) { r.Currency = "XQZ" }},
		{"currency", func(r R) { r.Currency = "" }},
		{"period", func(r R) { r.Period = "2026-13" }},
		{"period", func(r R) { r.Period = "2026-1" }},
		{"period", func(r R) { r.Period = "11/2026" }},
		{"paid_at_ms", func(r R) { r.PaidAtMs = 0 }},
		{"paid_at_offset_min", func(r R) { r.PaidAtOffsetMin = chain.MaxOffsetMin + 1 }},
		{"paid_at_offset_min", func(r R) { r.PaidAtOffsetMin = -chain.MaxOffsetMin - 1 }},
		{"channel", func(r R) { r.Channel = strings.Repeat("c", chain.MaxLabelLen+1) }},
		{"region", func(r R) { r.Region = "44\n0300" }},
		{"item", func(r R) { r.Item = strings.Repeat("养", 40) }},
		{"receipt_no", func(r R) { r.ReceiptNo = "R 1" }},
	})
}

func TestCreditEventFields(t *testing.T) {
	type C = *chainpb.CreditEvent
	overdue := func() C { return chaintest.CreditEvent(3) }
	runFieldCases(t, func() C { return chaintest.CreditEvent(1) }, chain.ValidateCreditEvent, []fieldCase[C]{
		{"event_id", func(c C) { c.EventId = "" }},
		{"event_id", func(c C) { c.EventId = strings.Repeat("e", chain.MaxIDLen+1) }},
		{"subject_ref", func(c C) { c.SubjectRef = nil }},
		{"account_id", func(c C) { c.AccountId = "" }},
		{"kind", func(c C) { c.Kind = 0 }},
		{"kind", func(c C) { c.Kind = 17 }},
		{"amount_minor", func(c C) { c.AmountMinor = chain.MaxAmountMinor + 1 }},
		{"outstanding_minor", func(c C) { c.OutstandingMinor = chain.MaxAmountMinor + 1 }},
		{"currency", func(c C) { c.Currency = "RMB" }},
		{"occurred_at_ms", func(c C) { c.OccurredAtMs = -5 }},
		{"days_overdue", func(c C) { c.DaysOverdue = 3 }},
		{"expires_at_ms", func(c C) { c.ExpiresAtMs = c.OccurredAtMs + 1 }},
	})
	runFieldCases(t, overdue, chain.ValidateCreditEvent, []fieldCase[C]{
		{"days_overdue", func(c C) { c.DaysOverdue = 0 }},
		{"expires_at_ms", func(c C) { c.ExpiresAtMs = 0 }},
		{"expires_at_ms", func(c C) { c.ExpiresAtMs = c.OccurredAtMs }},
		{"expires_at_ms", func(c C) { c.ExpiresAtMs = c.OccurredAtMs + chain.NegativeRetention.Milliseconds() + 1 }},
	})
}

func TestQueryReceiptFields(t *testing.T) {
	type Q = *chainpb.QueryReceipt
	// query re-encodes the receipt's query after edit (the signature no
	// longer matches, which is CheckReceipt's concern, not the shape's).
	query := func(sub string, edit func(*chainpb.CreditQuery)) func(Q) {
		return func(r Q) {
			q := chaintest.Query(1, 1)
			edit(q)
			raw, err := proto.Marshal(q)
			if err != nil {
				t.Fatal(err)
			}
			r.Query = raw
			if _, err := chain.DecodeCreditQuery(raw); err == nil || !strings.Contains(err.Error(), sub) {
				t.Errorf("query with a bad %s: %v", sub, err)
			}
		}
	}
	runFieldCases(t, func() Q { return chaintest.Receipt(1, 1) }, chain.ValidateQueryReceipt, []fieldCase[Q]{
		{"query", query("network_id", func(q *chainpb.CreditQuery) { q.NetworkId = "Test Net" })},
		{"query", query("query_id", func(q *chainpb.CreditQuery) { q.QueryId = "" })},
		{"query", query("querier", func(q *chainpb.CreditQuery) { q.Querier = []byte{1} })},
		{"query", query("subject_ref", func(q *chainpb.CreditQuery) { q.SubjectRef = make([]byte, 33) })},
		{"query", query("purpose", func(q *chainpb.CreditQuery) { q.Purpose = 0 })},
		{"query", query("consent_ref", func(q *chainpb.CreditQuery) { q.ConsentRef = "" })},
		{"query", query("time_ms", func(q *chainpb.CreditQuery) { q.TimeMs = 0 })},
		{"query", func(q Q) { q.Query = []byte{0xff, 0xff} }},
		{"query", func(q Q) { q.Query = nil }},
		{"query", func(q Q) { q.Query = append(q.Query, make([]byte, chain.MaxQueryBytes)...) }},
		{"query_signature", func(q Q) { q.QuerySignature = nil }},
		{"query_signature", func(q Q) { q.QuerySignature = q.QuerySignature[:63] }},
		{"fee_minor", func(q Q) { q.FeeMinor = chain.MaxAmountMinor + 1 }},
		{"fee_currency", func(q Q) { q.FeeCurrency = "yuan" }},
		{"fee_currency", func(q Q) { q.FeeCurrency = "" }},
	})
	free := chaintest.Receipt(1, 1)
	free.FeeMinor, free.FeeCurrency = 0, ""
	if err := chain.ValidateQueryReceipt(free); err != nil {
		t.Fatalf("a receipt with no fee: %v", err)
	}
}

func TestSealedPaymentAndCorrectionFields(t *testing.T) {
	type E = *chainpb.Entry
	payment := func() E {
		var e chainpb.Entry
		if err := proto.Unmarshal(chaintest.PaymentEntry(0, 1), &e); err != nil {
			t.Fatal(err)
		}
		return &e
	}
	replace := func() E {
		target := payment()
		return &chainpb.Entry{Body: &chainpb.Entry_Correction{Correction: &chainpb.Correction{
			CorrectionId: "C-1", TargetKey: chain.EntryKey(target),
			Action: chainpb.CorrectionAction_CORRECTION_ACTION_REPLACE, Replacement: target, Reason: "amount keyed wrongly",
		}}}
	}
	runFieldCases(t, payment, chain.ValidateEntry, []fieldCase[E]{
		{"lookup", func(e E) { e.GetPayment().Lookup = e.GetPayment().Lookup[1:] }},
		{"nonce", func(e E) { e.GetPayment().Nonce = nil }},
		{"ciphertext", func(e E) { e.GetPayment().Ciphertext = make([]byte, 16) }},
	})
	runFieldCases(t, replace, chain.ValidateEntry, []fieldCase[E]{
		{"correction_id", func(e E) { e.GetCorrection().CorrectionId = "" }},
		{"target_key", func(e E) { e.GetCorrection().TargetKey = []byte{9, 1, 2} }},
		{"target_key", func(e E) { e.GetCorrection().TargetKey = []byte{chain.KeyPayment, 1} }},
		{"target_key", func(e E) {
			e.GetCorrection().TargetKey = chain.EntryKey(chaintest.ReceiptEntry(chaintest.Receipt(1, 1)))
		}},
		{"target_key", func(e E) { e.GetCorrection().TargetKey = append([]byte{chain.KeyQueryID}, make([]byte, 40)...) }},
		{"reason", func(e E) { e.GetCorrection().Reason = "" }},
		{"action", func(e E) { e.GetCorrection().Action = 0 }},
		{"replacement", func(e E) { e.GetCorrection().Replacement = nil }},
		{"replacement", func(e E) {
			e.GetCorrection().Replacement = &chainpb.Entry{Body: &chainpb.Entry_CreditEvent{CreditEvent: chaintest.CreditEvent(1)}}
		}},
		{"replacement", func(e E) {
			e.GetCorrection().Action = chainpb.CorrectionAction_CORRECTION_ACTION_WITHDRAW
		}},
		{"ciphertext", func(e E) { e.GetCorrection().Replacement.GetPayment().Ciphertext = nil }},
	})
	if err := chain.ValidateEntry(&chainpb.Entry{}); !errors.Is(err, chain.ErrBadEntry) {
		t.Errorf("an empty entry: %v", err)
	}
}

func TestSealedPaymentOpensOnlyWithItsOrderID(t *testing.T) {
	rec := chaintest.PaymentRecord(0, 42)
	e, err := chain.SealPayment(chaintest.NetworkID, chaintest.Issuer(0), rec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := chain.OpenPayment(chaintest.NetworkID, rec.OrderId, chaintest.Issuer(0), e.GetPayment())
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, rec) {
		t.Fatalf("opened %v, sealed %v", got, rec)
	}
	if _, err := chain.OpenPayment(chaintest.NetworkID, chaintest.OrderID(0, 43), chaintest.Issuer(0), e.GetPayment()); err == nil {
		t.Fatal("opened with another order ID")
	}
	if _, err := chain.OpenPayment(chaintest.NetworkID, rec.OrderId, chaintest.Issuer(1), e.GetPayment()); err == nil {
		t.Fatal("opened as another issuer's record")
	}
	bad := chaintest.PaymentRecord(0, 1)
	bad.Currency = "ABC"
	if _, err := chain.SealPayment(chaintest.NetworkID, chaintest.Issuer(0), bad); !errors.Is(err, chain.ErrBadEntry) {
		t.Fatalf("sealed an invalid record: %v", err)
	}
}

func TestEntryKeysAreDistinctPerKind(t *testing.T) {
	entries := []*chainpb.Entry{
		{Body: &chainpb.Entry_CreditEvent{CreditEvent: chaintest.CreditEvent(1)}},
		{Body: &chainpb.Entry_QueryReceipt{QueryReceipt: chaintest.Receipt(1, 1)}},
		{Body: &chainpb.Entry_QueryReceipt{QueryReceipt: chaintest.Receipt(2, 1)}},
	}
	// The same query ID under another subject is another query: another
	// receipt key, but the same query-ID key.
	q := chaintest.Query(1, 1)
	q.SubjectRef = chaintest.Ref(7)
	other := chaintest.ReceiptEntry(chaintest.ReceiptOf(q, chaintest.Key(1), chaintest.FeeMinor, chaintest.FeeCurrency))
	entries = append(entries, other)
	seen := map[string]bool{}
	for _, e := range entries {
		k := string(chain.EntryKey(e))
		if seen[k] {
			t.Fatalf("key %x repeats", k)
		}
		seen[k] = true
	}
	if k := chain.EntryKey(other); len(k) != 65 || k[0] != chain.KeyReceipt || string(k[1:33]) != string(q.Querier) {
		t.Fatalf("receipt key %x is not 0x03 || querier || SHA-256(query)", k)
	}
	if a, b := chain.QueryIDKey(entries[1]), chain.QueryIDKey(other); string(a) != string(b) || a[0] != chain.KeyQueryID {
		t.Fatalf("query-ID keys %x and %x", a, b)
	}
	if chain.QueryIDKey(entries[0]) != nil {
		t.Fatal("a credit event has a query-ID key")
	}
}

func TestRealisticEntrySize(t *testing.T) {
	n := len(chaintest.PaymentEntry(0, 12345))
	if n < 200 || n > 300 {
		t.Fatalf("a sample payment entry has %d bytes; benchmarks assume 200..300", n)
	}
}
