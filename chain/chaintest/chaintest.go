package chaintest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"google.golang.org/protobuf/proto"
)

// NetworkID is the network the helpers build for.
const NetworkID = "test-net"

// Epoch is the time of the first block the helpers build.
var Epoch = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)

// Fee is the query fee of Params: 2.00 CNY.
const (
	FeeMinor    = 200
	FeeCurrency = "CNY"
)

// Params returns the default parameters for NetworkID, with the query fee
// Fee.
func Params() chain.Params {
	p := chain.DefaultParams(NetworkID)
	p.QueryFeeMinor, p.FeeCurrency = FeeMinor, FeeCurrency
	return p
}

// Key returns the deterministic Ed25519 key numbered n.
func Key(n int) ed25519.PrivateKey {
	seed := sha256.Sum256(fmt.Appendf(nil, "credmesh test key %d", n))
	return ed25519.NewKeyFromSeed(seed[:])
}

// Issuer returns the issuer ID of Key(n).
func Issuer(n int) chain.IssuerID {
	return chain.IssuerOf(Key(n).Public().(ed25519.PublicKey))
}

// Members returns the member set of keys 0..n-1.
func Members(n int) chain.Members {
	m := chain.NewMembers()
	for i := range n {
		m[Issuer(i)] = chain.AllRoles
	}
	return m
}

// Ref returns a deterministic 32-byte subject reference.
func Ref(n int) []byte {
	r := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("subject"), uint64(n)))
	return r[:]
}

// OrderID returns the order ID of payment n of issuer: 24 characters, as
// unguessable as a test needs.
func OrderID(issuer, n int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "order %d %d", issuer, n))
	return fmt.Sprintf("PAY%02d-%x", issuer%100, h[:9])
}

// PaymentRecord returns a realistic social-insurance payment record.
func PaymentRecord(issuer, n int) *chainpb.PaymentRecord {
	return &chainpb.PaymentRecord{
		OrderId:     OrderID(issuer, n),
		PayerRef:    Ref(n % 100_000),
		Category:    chainpb.PaymentCategory(1 + n%6),
		AmountMinor: uint64(50_000 + n%200_000),
		Currency:    "CNY",
		Period:      fmt.Sprintf("2026-%02d", 1+n%11),
		PaidAtMs:    Epoch.Add(time.Duration(n) * time.Second).UnixMilli(),
		Channel:     "bank-transfer",
		Region:      "440300",
		Item:        "城镇职工基本养老保险",
		ReceiptNo:   fmt.Sprintf("R%012d", n),
	}
}

// PaymentEntry returns payment n of issuer, sealed and encoded (about 240
// bytes).
func PaymentEntry(issuer, n int) []byte {
	e, err := chain.SealPayment(NetworkID, Issuer(issuer), PaymentRecord(issuer, n))
	if err != nil {
		panic(err)
	}
	return mustEncode(e)
}

// CreditEvent returns a credit event of a lender; every fourth is overdue.
func CreditEvent(n int) *chainpb.CreditEvent {
	at := Epoch.Add(time.Duration(n) * time.Minute)
	c := &chainpb.CreditEvent{
		EventId:          fmt.Sprintf("EV-%010d", n),
		SubjectRef:       Ref(n % 1000),
		AccountId:        fmt.Sprintf("LN-%08d", n/4),
		Kind:             chainpb.CreditEventKind_CREDIT_EVENT_KIND_OPENED,
		AmountMinor:      5_000_000,
		OutstandingMinor: 5_000_000,
		Currency:         "CNY",
		OccurredAtMs:     at.UnixMilli(),
	}
	if n%4 == 3 {
		c.Kind = chainpb.CreditEventKind_CREDIT_EVENT_KIND_OVERDUE
		c.DaysOverdue = 35
		c.ExpiresAtMs = at.AddDate(5, 0, 0).UnixMilli()
	}
	return c
}

// CreditEventEntry returns CreditEvent(n) encoded.
func CreditEventEntry(n int) []byte {
	return mustEncode(&chainpb.Entry{Body: &chainpb.Entry_CreditEvent{CreditEvent: CreditEvent(n)}})
}

// Query returns credit query n of member querier: about Ref(n % 1000),
// for a loan application, made n minutes after Epoch.
func Query(querier, n int) *chainpb.CreditQuery {
	q := Issuer(querier)
	return &chainpb.CreditQuery{
		NetworkId:  NetworkID,
		QueryId:    fmt.Sprintf("Q-%010d", n),
		Querier:    q[:],
		SubjectRef: Ref(n % 1000),
		Purpose:    chainpb.QueryPurpose_QUERY_PURPOSE_LOAN_APPLICATION,
		ConsentRef: fmt.Sprintf("CONSENT-%d", n),
		TimeMs:     Epoch.Add(time.Duration(n) * time.Minute).UnixMilli(),
	}
}

// Receipt returns the receipt another member writes of Query(querier, n),
// signed by the querier, charging the fee of Params.
func Receipt(querier, n int) *chainpb.QueryReceipt {
	return ReceiptOf(Query(querier, n), Key(querier), FeeMinor, FeeCurrency)
}

// ReceiptOf returns a receipt of q signed with key (the querier's, for a
// valid receipt), charging fee in currency, with three records returned.
func ReceiptOf(q *chainpb.CreditQuery, key ed25519.PrivateKey, fee uint64, currency string) *chainpb.QueryReceipt {
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(q)
	if err != nil {
		panic(err)
	}
	sig := ed25519.Sign(key, append([]byte(chain.QuerySigningDomain), raw...))
	return &chainpb.QueryReceipt{Query: raw, QuerySignature: sig, RecordsReturned: 3, FeeMinor: fee, FeeCurrency: currency}
}

// ReceiptEntry wraps r in an entry.
func ReceiptEntry(r *chainpb.QueryReceipt) *chainpb.Entry {
	return &chainpb.Entry{Body: &chainpb.Entry_QueryReceipt{QueryReceipt: r}}
}

func mustEncode(e *chainpb.Entry) []byte {
	b, err := chain.EncodeEntry(e)
	if err != nil {
		panic(err)
	}
	return b
}

// Chain returns blocks 1..len(sizes) of issuer, block i holding sizes[i-1]
// payment entries, a second apart from Epoch.
func Chain(issuer int, sizes ...int) []*chain.Block {
	var (
		out  []*chain.Block
		head *chain.SignedHeader
		n    int
	)
	for i, size := range sizes {
		entries := make([][]byte, size)
		for j := range entries {
			entries[j] = PaymentEntry(issuer, n)
			n++
		}
		b, err := chain.NewBlock(NetworkID, head, entries, Key(issuer), Epoch.Add(time.Duration(i)*time.Second))
		if err != nil {
			panic(err)
		}
		out = append(out, b)
		head = b.SignedHeader
	}
	return out
}
