package queryproto

import (
	"fmt"

	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"google.golang.org/protobuf/proto"
)

// request is a decoded Request: exactly one operation.
type request struct {
	heads  bool
	lookup [privacy.LookupSize]byte   // payment
	query  *SignedQuery               // credit query, shapes checked, not verified
	batch  [][privacy.LookupSize]byte // payment batch: 1 to MaxBatchLookups distinct hashes
}

// decodeRequest decodes an encoded querypb.Request and checks the shape of
// its operation. Errors map to BAD_REQUEST.
func decodeRequest(data []byte) (*request, error) {
	if len(data) > MaxRequestBytes {
		return nil, fmt.Errorf("%w: request of %d bytes", ErrTooLarge, len(data))
	}
	var pb querypb.Request
	if err := proto.Unmarshal(data, &pb); err != nil {
		return nil, fmt.Errorf("%w: request: %v", ErrMalformed, err)
	}
	switch op := pb.Op.(type) {
	case *querypb.Request_Heads:
		return &request{heads: true}, nil
	case *querypb.Request_Payment:
		if len(op.Payment.GetLookup()) != privacy.LookupSize {
			return nil, fmt.Errorf("%w: lookup has %d bytes, want %d", ErrMalformed, len(op.Payment.GetLookup()), privacy.LookupSize)
		}
		return &request{lookup: [privacy.LookupSize]byte(op.Payment.Lookup)}, nil
	case *querypb.Request_PaymentBatch:
		return decodeBatchRequest(op.PaymentBatch.GetLookups())
	case *querypb.Request_CreditQuery:
		q, err := DecodeSignedQuery(op.CreditQuery.GetQuery(), op.CreditQuery.GetSignature())
		if err != nil {
			return nil, err
		}
		return &request{query: q}, nil
	}
	return nil, fmt.Errorf("%w: request names no operation", ErrMalformed)
}

// decodeBatchRequest checks a batch's lookup hashes: 1 to MaxBatchLookups
// of them, 32 bytes each, no two equal.
func decodeBatchRequest(lookups [][]byte) (*request, error) {
	if len(lookups) == 0 || len(lookups) > MaxBatchLookups {
		return nil, fmt.Errorf("%w: a payment batch holds 1 to %d lookup hashes, not %d", ErrMalformed, MaxBatchLookups, len(lookups))
	}
	out := make([][privacy.LookupSize]byte, len(lookups))
	seen := make(map[[privacy.LookupSize]byte]bool, len(lookups))
	for i, l := range lookups {
		if len(l) != privacy.LookupSize {
			return nil, fmt.Errorf("%w: lookup %d has %d bytes, want %d", ErrMalformed, i, len(l), privacy.LookupSize)
		}
		out[i] = [privacy.LookupSize]byte(l)
		if seen[out[i]] {
			return nil, fmt.Errorf("%w: lookup %d repeats an earlier one", ErrMalformed, i)
		}
		seen[out[i]] = true
	}
	return &request{batch: out}, nil
}
