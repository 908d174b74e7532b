package queryproto

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"google.golang.org/protobuf/proto"
)

// QuerySigningDomain prefixes the encoded CreditQuery a querier signs.
const QuerySigningDomain = "credmesh/v1/credit-query\x00"

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
	Raw       []byte // encoded querypb.CreditQuery, as signed and hashed
	Signature []byte
	Hash      [32]byte // SHA-256(Raw): what an answer is bound to
}

// SignQuery encodes q and signs it with key, whose public half must be the
// querier. It checks q's fields first.
func SignQuery(q CreditQuery, key ed25519.PrivateKey) (*SignedQuery, error) {
	if len(key) != ed25519.PrivateKeySize || chain.IssuerOf(key.Public().(ed25519.PublicKey)) != q.Querier {
		return nil, fmt.Errorf("%w: the signing key is not the querier's", ErrBadRequest)
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(&querypb.CreditQuery{
		NetworkId:  q.NetworkID,
		QueryId:    q.QueryID,
		Querier:    q.Querier[:],
		SubjectRef: q.Subject[:],
		Purpose:    q.Purpose,
		ConsentRef: q.ConsentRef,
		TimeMs:     q.Time.UnixMilli(),
	})
	if err != nil {
		return nil, fmt.Errorf("queryproto: encoding a credit query: %w", err)
	}
	q.Time = time.UnixMilli(q.Time.UnixMilli())
	return &SignedQuery{
		CreditQuery: q,
		Raw:         raw,
		Signature:   ed25519.Sign(key, domainBytes(QuerySigningDomain, raw)),
		Hash:        sha256.Sum256(raw),
	}, nil
}

// DecodeSignedQuery decodes the query inside raw strictly
// (chain.UnmarshalStrict) and checks its fields' shapes, not the signature
// or the time (Check does).
func DecodeSignedQuery(raw, signature []byte) (*SignedQuery, error) {
	if len(raw) > MaxRequestBytes {
		return nil, fmt.Errorf("%w: credit query of %d bytes", ErrTooLarge, len(raw))
	}
	var pb querypb.CreditQuery
	if err := chain.UnmarshalStrict(raw, &pb); err != nil { // signed and kept in receipts
		return nil, fmt.Errorf("%w: credit query: %v", ErrMalformed, err)
	}
	if len(pb.Querier) != len(chain.IssuerID{}) {
		return nil, fmt.Errorf("%w: querier has %d bytes, want 32", ErrMalformed, len(pb.Querier))
	}
	if len(pb.SubjectRef) != privacy.RefSize {
		return nil, fmt.Errorf("%w: subject_ref has %d bytes, want 32", ErrMalformed, len(pb.SubjectRef))
	}
	if len(signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature has %d bytes, want 64", ErrMalformed, len(signature))
	}
	sq := &SignedQuery{
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
	}
	if err := sq.check(); err != nil {
		return nil, err
	}
	return sq, nil
}

// check validates the fields a query carries: IDs, a known purpose, a
// consent reference.
func (q *CreditQuery) check() error {
	if err := chain.CheckNetworkID(q.NetworkID); err != nil {
		return fmt.Errorf("%w: network_id: %v", ErrBadRequest, err)
	}
	if err := checkID(q.QueryID); err != nil {
		return fmt.Errorf("%w: query_id: %v", ErrBadRequest, err)
	}
	if _, ok := chainpb.QueryPurpose_name[int32(q.Purpose)]; !ok || q.Purpose == chainpb.QueryPurpose_QUERY_PURPOSE_UNSPECIFIED {
		return fmt.Errorf("%w: purpose %d is not a known purpose", ErrBadRequest, q.Purpose)
	}
	if err := checkID(q.ConsentRef); err != nil {
		return fmt.Errorf("%w: consent_ref: %v", ErrBadRequest, err)
	}
	if q.Time.UnixMilli() <= 0 {
		return fmt.Errorf("%w: time_ms is not after 1970", ErrBadRequest)
	}
	return nil
}

// VerifySignature checks the querier's signature over the raw query bytes.
func (q *SignedQuery) VerifySignature() error {
	if len(q.Signature) != ed25519.SignatureSize ||
		!ed25519.Verify(q.Querier[:], domainBytes(QuerySigningDomain, q.Raw), q.Signature) {
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

// domainBytes returns domain || raw, the bytes that are signed.
func domainBytes(domain string, raw []byte) []byte {
	msg := make([]byte, 0, len(domain)+len(raw))
	msg = append(msg, domain...)
	return append(msg, raw...)
}

// checkID accepts 1 to chain.MaxIDLen printable ASCII characters, as the
// chain's IDs.
func checkID(s string) error {
	if len(s) == 0 || len(s) > chain.MaxIDLen {
		return fmt.Errorf("%d bytes, want 1 to %d", len(s), chain.MaxIDLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("character %d is not printable ASCII", i+1)
		}
	}
	return nil
}
