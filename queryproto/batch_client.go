package queryproto

import (
	"fmt"

	"context"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p/core/peer"
)

// BatchAnswer is a peer's answer to a payment batch, decoded and not
// verified: one item per lookup hash asked, in the order asked.
type BatchAnswer struct {
	Items []BatchItem
	// Evidence is the equivocation evidence the peer holds against issuers
	// of the batch's proofs: at most one piece per issuer.
	Evidence []*chain.Evidence
	// Headers are the batch's signed headers, as sent; Cosigned and
	// Witnessed the cosigned heads covering them (batch_witness_check.go),
	// shape-checked only.
	Headers   []*chain.SignedHeader
	Cosigned  []BatchCosigned
	Witnessed []*querypb.BatchWitnessed
	// Decisions are membership decision entries with their proofs
	// (decisions.go), as served.
	Decisions []*chain.Proof
}

// BatchItem is the answer about one lookup hash of a batch.
type BatchItem struct {
	// Status is OK (Proofs holds 1 or more proofs), NOT_FOUND, UNAVAILABLE
	// (left out to fit the response cap: ask again) or INTERNAL.
	Status querypb.Status
	// Proofs share the *chain.SignedHeader of one block: the answer sends
	// each header once.
	Proofs []*chain.Proof
}

// Err is nil for an item with proofs, and otherwise the *StatusError a
// single lookup would have got (errors.Is(err, ErrNotFound) for NOT_FOUND).
func (it *BatchItem) Err() error {
	if it.Status == querypb.Status_STATUS_OK {
		return nil
	}
	return &StatusError{Status: it.Status, Message: "batch item"}
}

// PaymentBatch asks p for the proofs of the payments under each of
// lookups (1 to MaxBatchLookups distinct hashes) in one request. The
// answer is decoded and its shape checked (one item per hash, every
// header named and sent once), not verified: LightClient.LookupBatch
// verifies.
func (c *Client) PaymentBatch(ctx context.Context, p peer.ID, lookups [][privacy.LookupSize]byte) (*BatchAnswer, error) {
	req := &querypb.PaymentBatchRequest{Lookups: make([][]byte, len(lookups))}
	for i := range lookups {
		req.Lookups[i] = lookups[i][:]
	}
	resp, err := c.roundTrip(ctx, p, &querypb.Request{Op: &querypb.Request_PaymentBatch{PaymentBatch: req}})
	if err != nil {
		return nil, err
	}
	a, err := decodePaymentBatch(resp, len(lookups))
	return a, fromPeer(p, err)
}

// decodePaymentBatch decodes a batch answer to n lookup hashes and checks
// its shape (docs/PROTOCOL.md 11.4.2): n items, each OK with 1 to
// maxPaymentProofs proofs or another status with none; headers that
// decode, none twice, each named by a proof and in the order proofs first
// name them; at most one piece of evidence per header.
func decodePaymentBatch(resp *querypb.Response, n int) (*BatchAnswer, error) {
	pb := resp.GetPaymentBatch()
	if pb == nil {
		return nil, fmt.Errorf("%w: expected a payment batch answer", ErrMalformed)
	}
	if len(pb.Items) != n {
		return nil, fmt.Errorf("%w: batch answer with %d items for %d lookups", ErrMalformed, len(pb.Items), n)
	}
	if len(pb.Evidence) > len(pb.Headers) {
		return nil, fmt.Errorf("%w: batch answer with %d pieces of evidence for %d headers, at most one per issuer", ErrMalformed, len(pb.Evidence), len(pb.Headers))
	}
	headers := make([]*chain.SignedHeader, len(pb.Headers))
	seen := make(map[chain.Hash]bool, len(pb.Headers))
	for i, h := range pb.Headers {
		sh, err := chain.DecodeSignedHeader(h.GetHeader(), h.GetSignature())
		if err != nil {
			return nil, fmt.Errorf("%w: batch header %d: %w", ErrMalformed, i, err)
		}
		if seen[sh.Hash] {
			return nil, fmt.Errorf("%w: batch header %d is sent twice", ErrMalformed, i)
		}
		seen[sh.Hash] = true
		headers[i] = sh
	}
	out := &BatchAnswer{Items: make([]BatchItem, n), Headers: headers}
	if err := decodeBatchWitnessed(pb, out); err != nil {
		return nil, err
	}
	named := 0 // headers named so far: the next new one must be headers[named]
	for i, it := range pb.Items {
		switch it.Status {
		case querypb.Status_STATUS_OK:
			if len(it.Proofs) == 0 || len(it.Proofs) > maxPaymentProofs {
				return nil, fmt.Errorf("%w: batch item %d is OK with %d proofs", ErrMalformed, i, len(it.Proofs))
			}
		case querypb.Status_STATUS_NOT_FOUND, querypb.Status_STATUS_UNAVAILABLE, querypb.Status_STATUS_INTERNAL:
			if len(it.Proofs) > 0 {
				return nil, fmt.Errorf("%w: batch item %d is %s with proofs", ErrMalformed, i, statusName(it.Status))
			}
		default:
			return nil, fmt.Errorf("%w: batch item %d has status %d", ErrMalformed, i, it.Status)
		}
		item := BatchItem{Status: it.Status, Proofs: make([]*chain.Proof, len(it.Proofs))}
		for j, bp := range it.Proofs {
			switch {
			case int(bp.Header) < named:
			case int(bp.Header) == named && named < len(headers):
				named++
			default:
				return nil, fmt.Errorf("%w: batch item %d proof %d names header %d; %d headers named so far of %d", ErrMalformed, i, j, bp.Header, named, len(headers))
			}
			p, err := checkedProof(bp.Entry, bp.Index, bp.Path, headers[bp.Header])
			if err != nil {
				return nil, fmt.Errorf("batch item %d proof %d: %w", i, j, err)
			}
			item.Proofs[j] = p
		}
		out.Items[i] = item
	}
	if named != len(headers) {
		return nil, fmt.Errorf("%w: batch answer sends %d headers no proof names", ErrMalformed, len(headers)-named)
	}
	for i, pe := range pb.Evidence {
		ev, err := evidenceFromPB(pe)
		if err != nil {
			return nil, fmt.Errorf("evidence %d: %w", i, err)
		}
		out.Evidence = append(out.Evidence, ev)
	}
	decisions, err := decodeDecisions(pb.Decisions)
	if err != nil {
		return nil, err
	}
	out.Decisions = decisions
	return out, nil
}
