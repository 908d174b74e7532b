package queryproto

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/queryproto/querypb"
)

// QuerySigningDomain prefixes the encoded CreditQuery a querier signs
// (chain.QuerySigningDomain: receipts carry the same signed bytes).
const QuerySigningDomain = chain.QuerySigningDomain

// CreditQuery is a member's question about a subject, before signing.
type CreditQuery struct {
	NetworkID  string
	QueryID    string // unique per querier; 1 to 128 printable ASCII characters
	Querier    chain.IssuerID
	Subject    privacy.Ref
	Purpose    chainpb.QueryPurpose
	ConsentRef string // the subject's consent; 1 to 128 printable ASCII characters
	Time       time.Time
}

// SignedQuery is a credit query with the exact bytes its querier signed.
type SignedQuery struct {
	CreditQuery
	Raw       []byte // encoded chainpb.CreditQuery, as signed and hashed
	Signature []byte
	Hash      [32]byte // SHA-256(Raw): what an answer is bound to
}

// SignQuery encodes q and signs it with key, whose public half must be the
// querier. It checks q's fields first (chain.DecodeCreditQuery).
func SignQuery(q CreditQuery, key ed25519.PrivateKey) (*SignedQuery, error) {
	if len(key) != ed25519.PrivateKeySize || chain.IssuerOf(key.Public().(ed25519.PublicKey)) != q.Querier {
		return nil, fmt.Errorf("%w: the signing key is not the querier's", ErrBadRequest)
	}
	raw, sig, err := chain.SignCreditQuery(&chainpb.CreditQuery{
		NetworkId:  q.NetworkID,
		QueryId:    q.QueryID,
		Querier:    q.Querier[:],
		SubjectRef: q.Subject[:],
		Purpose:    q.Purpose,
		ConsentRef: q.ConsentRef,
		TimeMs:     q.Time.UnixMilli(),
	}, key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	q.Time = time.UnixMilli(q.Time.UnixMilli())
	return &SignedQuery{CreditQuery: q, Raw: raw, Signature: sig, Hash: sha256.Sum256(raw)}, nil
}

// DecodeSignedQuery decodes the query inside raw and checks its fields'
// shapes strictly (chain.DecodeCreditQuery), not the signature or the time (Check
// does).
func DecodeSignedQuery(raw, signature []byte) (*SignedQuery, error) {
	if len(raw) > MaxRequestBytes {
		return nil, fmt.Errorf("%w: credit query of %d bytes", ErrTooLarge, len(raw))
	}
	pb, err := chain.DecodeCreditQuery(raw)
	if errors.Is(err, chain.ErrMalformed) {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if len(signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature has %d bytes, want 64", ErrMalformed, len(signature))
	}
	return &SignedQuery{
		CreditQuery: CreditQuery{
			NetworkID:  pb.NetworkId,
			QueryID:    pb.QueryId,
			Querier:    chain.IssuerID(pb.Querier),
			Subject:    privacy.Ref(pb.SubjectRef),
			Purpose:    pb.Purpose,
			ConsentRef: pb.ConsentRef,
			Time:       time.UnixMilli(pb.TimeMs),
		},
		Raw:       raw,
		Signature: signature,
		Hash:      sha256.Sum256(raw),
	}, nil
}

// VerifySignature checks the querier's signature over the raw query bytes.
func (q *SignedQuery) VerifySignature() error {
	if !chain.VerifyQuerySignature(q.Querier, q.Raw, q.Signature) {
		return fmt.Errorf("%w: bad signature on the credit query", ErrUnauthorized)
	}
	return nil
}

// Check is what a responder verifies before answering: the query is for
// networkID, validly signed, and made within MaxQueryAge of now.
func (q *SignedQuery) Check(networkID string, now time.Time) error {
	if q.NetworkID != networkID {
		return fmt.Errorf("%w: credit query for network %q", ErrBadRequest, q.NetworkID)
	}
	if err := q.VerifySignature(); err != nil {
		return err
	}
	if d := now.Sub(q.Time); d > MaxQueryAge || d < -MaxQueryAge {
		return fmt.Errorf("%w: credit query made %s from our clock, limit %s", ErrUnauthorized, d.Round(time.Millisecond), MaxQueryAge)
	}
	return nil
}

// Proto returns the wire form of the signed query.
func (q *SignedQuery) Proto() *querypb.SignedCreditQuery {
	return &querypb.SignedCreditQuery{Query: q.Raw, Signature: q.Signature}
}

// Receipt returns the receipt a responder writes of q: the query's exact
// bytes and signature, the number of records returned and the fee charged.
func (q *SignedQuery) Receipt(records int, feeMinor uint64, feeCurrency string) *chainpb.Entry {
	return &chainpb.Entry{Body: &chainpb.Entry_QueryReceipt{QueryReceipt: &chainpb.QueryReceipt{
		Query: q.Raw, QuerySignature: q.Signature, RecordsReturned: uint32(records),
		FeeMinor: feeMinor, FeeCurrency: feeCurrency,
	}}}
}

// domainBytes returns domain || raw, the bytes that are signed.
func domainBytes(domain string, raw []byte) []byte {
	msg := make([]byte, 0, len(domain)+len(raw))
	msg = append(msg, domain...)
	return append(msg, raw...)
}
