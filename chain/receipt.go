package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"time"

	"github.com/credmesh/credmesh/chain/chainpb"
)

// ValidateQueryReceipt checks the shape of every field of a query receipt:
// the signed query decodes (DecodeCreditQuery), the signature has 64
// bytes, the fee is an amount with a currency, or 0 with none. That the
// signature verifies and the fee is the genesis's is CheckReceipt's.
func ValidateQueryReceipt(r *chainpb.QueryReceipt) error {
	const m = "QueryReceipt"
	if _, err := DecodeCreditQuery(r.Query); err != nil {
		return fieldError(m, "query", "%v", err)
	}
	if len(r.QuerySignature) != ed25519.SignatureSize {
		return fieldError(m, "query_signature", "%d bytes, want %d", len(r.QuerySignature), ed25519.SignatureSize)
	}
	if err := checkAmount(r.FeeMinor); err != nil {
		return fieldError(m, "fee_minor", "%v", err)
	}
	switch {
	case r.FeeCurrency == "" && r.FeeMinor != 0:
		return fieldError(m, "fee_currency", "required with a fee")
	case r.FeeCurrency != "":
		if err := checkCurrency(r.FeeCurrency); err != nil {
			return fieldError(m, "fee_currency", "%v", err)
		}
	}
	return nil
}

// ReceiptQuery decodes the signed query a receipt carries. It fails only
// on a receipt that did not pass ValidateQueryReceipt.
func ReceiptQuery(r *chainpb.QueryReceipt) (*chainpb.CreditQuery, error) {
	q, err := DecodeCreditQuery(r.Query)
	if err != nil {
		return nil, fieldError("QueryReceipt", "query", "%v", err)
	}
	return q, nil
}

// ReceiptKey is the key of a receipt of a query made by querier whose
// encoded bytes are query: 0x03 || querier || SHA-256(query). It binds the
// whole query, so two queries never share a receipt.
func ReceiptKey(querier IssuerID, query []byte) []byte {
	h := sha256.Sum256(query)
	k := make([]byte, 0, 1+RefSize+sha256.Size)
	k = append(append(append(k, KeyReceipt), querier[:]...), h[:]...)
	return k
}

// QueryIDKey is a receipt's second key, 0x05 || querier || query ID: a
// chain holds at most one receipt per querier and query ID, so a querier
// cannot pass different queries off under one ID. It returns nil for an
// entry that is no receipt (or does not decode).
func QueryIDKey(e *chainpb.Entry) []byte {
	r := e.GetQueryReceipt()
	if r == nil {
		return nil
	}
	q, err := DecodeCreditQuery(r.Query)
	if err != nil {
		return nil
	}
	k := make([]byte, 0, 1+RefSize+len(q.QueryId))
	return append(append(append(k, KeyQueryID), q.Querier...), q.QueryId...)
}

// CheckReceipt checks what a receipt on issuer's chain, in a block sealed
// at blockTime, must satisfy beyond its fields' shapes: the querier's
// signature over the query bytes; the query is for our network; the fee is
// the genesis's (p.QueryFeeMinor in p.FeeCurrency), or 0 with no currency
// when the querier is the issuer (a member's queries of itself are not
// billed); and the query was made at most MaxQueryAge after blockTime. It
// sets no lower bound on the query's age: a receipt may wait in its
// issuer's pending pool for as long as the issuer cannot seal. Roles are
// CheckRights's. r must have passed ValidateQueryReceipt. Errors wrap
// ErrBadEntry and name the field.
func CheckReceipt(r *chainpb.QueryReceipt, issuer IssuerID, p Params, blockTime time.Time) error {
	const m = "QueryReceipt"
	q, err := ReceiptQuery(r)
	if err != nil {
		return err
	}
	querier := IssuerID(q.Querier)
	if !VerifyQuerySignature(querier, r.Query, r.QuerySignature) {
		return fieldError(m, "query_signature", "does not verify under the querier's key %s", querier.Short())
	}
	if q.NetworkId != p.NetworkID {
		return fieldError(m, "query", "the query is for network %q, we are %q", q.NetworkId, p.NetworkID)
	}
	fee, currency := p.QueryFeeMinor, p.FeeCurrency
	if querier == issuer {
		fee, currency = 0, ""
	}
	if r.FeeMinor != fee || r.FeeCurrency != currency {
		what := "the genesis fee"
		if querier == issuer {
			what = "none: a member's queries of itself are not billed"
		}
		return fieldError(m, "fee_minor", "%d %q, want %d %q (%s)", r.FeeMinor, r.FeeCurrency, fee, currency, what)
	}
	if at := time.UnixMilli(q.TimeMs); at.Sub(blockTime) > MaxQueryAge {
		return fieldError(m, "query", "the query's time %s is %s after its block's, limit %s",
			at.UTC().Format(time.RFC3339Nano), at.Sub(blockTime).Round(time.Millisecond), MaxQueryAge)
	}
	return nil
}
