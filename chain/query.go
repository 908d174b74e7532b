package chain

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain/chainpb"
	"google.golang.org/protobuf/proto"
)

// QuerySigningDomain prefixes the encoded CreditQuery a querier signs.
const QuerySigningDomain = "credmesh/v1/credit-query\x00"

// MaxQueryAge is how far a credit query's time may lie from the clock of
// the member answering it, either way. A receipt's query may be at most
// this far after the time of the block that holds the receipt.
const MaxQueryAge = 5 * time.Minute

// MaxQueryBytes bounds an encoded CreditQuery. Its fields take at most
// about 420 bytes.
const MaxQueryBytes = 1024

// ErrBadQuery is wrapped by every error of DecodeCreditQuery.
var ErrBadQuery = provable("invalid credit query")

// DecodeCreditQuery decodes an encoded CreditQuery of at most
// MaxQueryBytes and checks its fields' shapes: network ID, query ID,
// 32-byte querier and subject reference, a known purpose, consent
// reference and time. It does not check the signature. The bytes are
// never re-encoded: they are what the querier signed.
func DecodeCreditQuery(raw []byte) (*chainpb.CreditQuery, error) {
	if len(raw) > MaxQueryBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBadQuery, len(raw), MaxQueryBytes)
	}
	q := new(chainpb.CreditQuery)
	if err := UnmarshalStrict(raw, q); err != nil { // signed, and kept in receipts
		return nil, fmt.Errorf("%w: %w: %v", ErrBadQuery, ErrMalformed, err)
	}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrBadQuery, field, fmt.Sprintf(format, args...))
	}
	if err := CheckNetworkID(q.NetworkId); err != nil {
		return nil, bad("network_id", "%v", err)
	}
	if err := checkID(q.QueryId, true); err != nil {
		return nil, bad("query_id", "%v", err)
	}
	if err := checkRef(q.Querier); err != nil {
		return nil, bad("querier", "%v", err)
	}
	if err := checkRef(q.SubjectRef); err != nil {
		return nil, bad("subject_ref", "%v", err)
	}
	if _, ok := chainpb.QueryPurpose_name[int32(q.Purpose)]; !ok || q.Purpose == chainpb.QueryPurpose_QUERY_PURPOSE_UNSPECIFIED {
		return nil, bad("purpose", "%d is not a known purpose", q.Purpose)
	}
	if err := checkID(q.ConsentRef, true); err != nil {
		return nil, bad("consent_ref", "%v", err)
	}
	if err := checkTime(q.TimeMs); err != nil {
		return nil, bad("time_ms", "%v", err)
	}
	return q, nil
}

// VerifyQuerySignature reports whether sig is querier's Ed25519 signature
// over QuerySigningDomain || raw.
func VerifyQuerySignature(querier IssuerID, raw, sig []byte) bool {
	if len(sig) != ed25519.SignatureSize {
		return false
	}
	msg := make([]byte, 0, len(QuerySigningDomain)+len(raw))
	msg = append(append(msg, QuerySigningDomain...), raw...)
	return ed25519.Verify(querier[:], msg, sig)
}

// SignCreditQuery returns the deterministic encoding of q and the
// querier's signature over it; key must be the querier's. It checks q's
// fields first.
func SignCreditQuery(q *chainpb.CreditQuery, key ed25519.PrivateKey) (raw, sig []byte, err error) {
	if len(key) != ed25519.PrivateKeySize || len(q.Querier) != RefSize || IssuerOf(key.Public().(ed25519.PublicKey)) != IssuerID(q.Querier) {
		return nil, nil, fmt.Errorf("%w: the signing key is not the querier's", ErrBadQuery)
	}
	raw, err = proto.MarshalOptions{Deterministic: true}.Marshal(q)
	if err != nil {
		return nil, nil, fmt.Errorf("chain: encoding a credit query: %w", err)
	}
	if _, err := DecodeCreditQuery(raw); err != nil {
		return nil, nil, err
	}
	msg := append([]byte(QuerySigningDomain), raw...)
	return raw, ed25519.Sign(key, msg), nil
}
