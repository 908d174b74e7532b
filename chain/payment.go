package chain

import (
	"crypto/rand"
	"fmt"

	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/privacy"
	"google.golang.org/protobuf/proto"
)

// ValidatePaymentRecord checks the plaintext of a payment record. Only its
// issuer and holders of the order ID ever see it.
func ValidatePaymentRecord(r *chainpb.PaymentRecord) error {
	const m = "PaymentRecord"
	if err := privacy.CheckOrderID(r.OrderId); err != nil {
		return fieldError(m, "order_id", "%v", err)
	}
	if err := checkRef(r.PayerRef); err != nil {
		return fieldError(m, "payer_ref", "%v", err)
	}
	if _, ok := chainpb.PaymentCategory_name[int32(r.Category)]; !ok || r.Category == chainpb.PaymentCategory_PAYMENT_CATEGORY_UNSPECIFIED {
		return fieldError(m, "category", "%d is not a known category", r.Category)
	}
	if err := checkAmount(r.AmountMinor); err != nil {
		return fieldError(m, "amount_minor", "%v", err)
	}
	if err := checkCurrency(r.Currency); err != nil {
		return fieldError(m, "currency", "%v", err)
	}
	if err := checkPeriod(r.Period); err != nil {
		return fieldError(m, "period", "%v", err)
	}
	if err := checkTime(r.PaidAtMs); err != nil {
		return fieldError(m, "paid_at_ms", "%v", err)
	}
	if err := checkOffset(r.PaidAtOffsetMin); err != nil {
		return fieldError(m, "paid_at_offset_min", "%v", err)
	}
	if err := checkText(r.Channel, MaxLabelLen); err != nil {
		return fieldError(m, "channel", "%v", err)
	}
	if err := checkText(r.Region, MaxLabelLen); err != nil {
		return fieldError(m, "region", "%v", err)
	}
	if err := checkText(r.Item, MaxItemLen); err != nil {
		return fieldError(m, "item", "%v", err)
	}
	if err := checkID(r.ReceiptNo, false); err != nil {
		return fieldError(m, "receipt_no", "%v", err)
	}
	return nil
}

// minSealed is the smallest ciphertext: a tag around a non-empty record.
const minSealed = privacy.TagSize + 1

func validateSealedPayment(p *chainpb.SealedPayment) error {
	const m = "SealedPayment"
	if len(p.Lookup) != privacy.LookupSize {
		return fieldError(m, "lookup", "%d bytes, want %d", len(p.Lookup), privacy.LookupSize)
	}
	if len(p.Nonce) != privacy.NonceSize {
		return fieldError(m, "nonce", "%d bytes, want %d", len(p.Nonce), privacy.NonceSize)
	}
	if len(p.Ciphertext) < minSealed {
		return fieldError(m, "ciphertext", "%d bytes, at least %d", len(p.Ciphertext), minSealed)
	}
	return nil
}

// SealPayment validates a payment record and seals it for issuer into an
// entry that only holders of its order ID can open.
func SealPayment(networkID string, issuer IssuerID, r *chainpb.PaymentRecord) (*chainpb.Entry, error) {
	if err := ValidatePaymentRecord(r); err != nil {
		return nil, err
	}
	pt, err := proto.MarshalOptions{Deterministic: true}.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("chain: encoding payment record: %w", err)
	}
	s, err := privacy.Seal(networkID, r.OrderId, issuer[:], pt, rand.Reader)
	if err != nil {
		return nil, err
	}
	return &chainpb.Entry{Body: &chainpb.Entry_Payment{Payment: &chainpb.SealedPayment{
		Lookup: s.Lookup[:], Nonce: s.Nonce[:], Ciphertext: s.Ciphertext,
	}}}, nil
}

// OpenPayment opens a sealed payment of issuer with its order ID and checks
// that the record inside is valid and carries that order ID.
func OpenPayment(networkID, orderID string, issuer IssuerID, p *chainpb.SealedPayment) (*chainpb.PaymentRecord, error) {
	pt, err := privacy.Open(networkID, orderID, issuer[:], p.Lookup, p.Nonce, p.Ciphertext)
	if err != nil {
		return nil, err
	}
	r := new(chainpb.PaymentRecord)
	if err := UnmarshalStrict(pt, r); err != nil {
		return nil, fmt.Errorf("%w: sealed payment record: %v", ErrMalformed, err)
	}
	if err := ValidatePaymentRecord(r); err != nil {
		return nil, err
	}
	if r.OrderId != orderID {
		return nil, fmt.Errorf("%w: sealed record carries another order ID", ErrBadEntry)
	}
	return r, nil
}
