package queryproto

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"
)

// creditQuery answers a credit query that arrived on a stream from remote.
func (s *Server) creditQuery(ctx context.Context, remote peer.ID, q *SignedQuery) *querypb.Response {
	from, err := s.member(remote)
	if err == nil {
		var a *SignedAnswer
		if a, err = s.Answer(ctx, from, q); err == nil {
			return &querypb.Response{Status: querypb.Status_STATUS_OK, Result: &querypb.Response_CreditAnswer{CreditAnswer: a.Proto()}}
		}
	}
	st := statusOf(err)
	if st == querypb.Status_STATUS_INTERNAL {
		if !errors.Is(err, store.ErrCorrupt) { // the store logs corruption, rate-limited
			s.cfg.Logger.Error("answering a credit query", "peer", remote, "err", err)
		}
		return failure(st, "internal error")
	}
	s.cfg.Logger.Debug("credit query refused", "peer", remote, "status", statusName(st), "err", err)
	return failure(st, err.Error())
}

// Answer answers credit query q made by member from — over the protocol, or
// directly for our own reports. It checks, in this order, that from is a
// member (UNAUTHORIZED), that we have the credit role (UNAVAILABLE: only
// credit members answer credit queries), that from has the query role
// (UNAUTHORIZED), that from is the query's signer, the network, the
// signature and freshness; gathers our records on the subject; signs the
// answer; and returns it only after the query's receipt is durable in our
// chain's pending pool. Errors wrap the sentinel of the status a server
// answers for them.
func (s *Server) Answer(ctx context.Context, from chain.IssuerID, q *SignedQuery) (*SignedAnswer, error) {
	now := s.cfg.Now()
	members, fee, currency := s.epochAt(now)
	if !members.Contains(from) {
		return nil, fmt.Errorf("%w: credit queries are for members", ErrUnauthorized)
	}
	if !members.Has(s.self, chain.RoleCredit) {
		return nil, fmt.Errorf("%w: this member has no credit role (it has %s), so it answers no credit queries", ErrUnavailable, members[s.self])
	}
	if !members.Has(from, chain.RoleQuery) {
		return nil, fmt.Errorf("%w: credit queries are for members with the query role; the asking member has %s", ErrUnauthorized, members[from])
	}
	if q.Querier != from {
		return nil, fmt.Errorf("%w: the query's querier is not the asking peer", ErrUnauthorized)
	}
	if err := q.Check(s.cfg.NetworkID, now); err != nil {
		return nil, err
	}
	if s.cfg.Receipts == nil {
		return nil, fmt.Errorf("%w: this peer records no receipts, so answers no credit queries", ErrUnavailable)
	}
	recs, err := s.gather(ctx, q.Subject)
	if err != nil {
		return nil, s.gatherError(err)
	}
	if from == s.self {
		fee, currency = 0, "" // a member's queries of itself are not billed
	}
	a, err := SignAnswer(CreditAnswer{
		NetworkID:   s.cfg.NetworkID,
		Responder:   s.self,
		QueryHash:   q.Hash,
		Time:        now,
		Records:     recs.chain,
		Private:     recs.private,
		FeeMinor:    fee,
		FeeCurrency: currency,
		Truncated:   recs.truncated,
	}, s.cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInternal, err)
	}
	if err := s.recordReceipt(ctx, q.Receipt(len(recs.chain)+len(recs.private), fee, currency)); err != nil {
		return nil, err
	}
	return a, nil
}

// recordReceipt appends the query's receipt to our chain and waits until it
// is durable. A receipt already held (the querier sent the same query
// again) is fine: the query is answered again and charged once. Another
// query under a query ID the querier used with us before is refused.
func (s *Server) recordReceipt(ctx context.Context, receipt *chainpb.Entry) error {
	errs, err := s.cfg.Receipts.Submit(ctx, []*chainpb.Entry{receipt})
	if err != nil {
		return fmt.Errorf("%w: recording the receipt: %w", ErrUnavailable, err)
	}
	switch err := errs[0]; {
	case err == nil, errors.Is(err, chain.ErrAlreadyAccepted):
		return nil
	case errors.Is(err, chain.ErrQueryIDUsed):
		return fmt.Errorf("%w: query ID already used: this member holds a receipt of another query of yours under it; use a new query ID for every query", ErrBadRequest)
	case errors.Is(err, chain.ErrPoolFull):
		return fmt.Errorf("%w: recording the receipt: %w", ErrUnavailable, err)
	case errors.Is(err, chain.ErrBadEntry), errors.Is(err, chain.ErrOversized), errors.Is(err, chain.ErrNoRole):
		return fmt.Errorf("%w: the query makes no valid receipt: %w", ErrBadRequest, err)
	default:
		return fmt.Errorf("%w: recording the receipt: %w", ErrInternal, err)
	}
}

// records is what an answer carries, within answerBudget bytes.
type records struct {
	chain     []*chain.Proof
	private   [][]byte
	truncated bool
	budget    int
}

// fits takes size bytes from the budget, or marks the answer truncated.
func (r *records) fits(size int) bool {
	if r.truncated || size > r.budget {
		r.truncated = true
		return false
	}
	r.budget -= size
	return true
}

// gather collects our credit records on subject: the credit events and
// their corrections on our own chain, each with its proof, then our
// private records. Receipts about the subject are left out: every member
// replicates them already, and they grow with every query.
func (s *Server) gather(ctx context.Context, ref privacy.Ref) (*records, error) {
	subject := ref[:]
	var locs []store.Location
	err := s.cfg.Store.BySubject(subject, func(loc store.Location) bool {
		c := bytes.Compare(loc.Issuer[:], s.self[:])
		if c == 0 {
			locs = append(locs, loc)
		}
		return c <= 0 // postings are sorted by issuer: past ours, stop
	})
	if err != nil {
		return nil, err
	}
	r := &records{budget: answerBudget}
	seen := make(map[store.Location]bool, len(locs))
	for i := 0; i < len(locs); i++ {
		loc := locs[i]
		if seen[loc] {
			continue
		}
		seen[loc] = true
		if receipt, err := s.isReceipt(loc); err != nil {
			return nil, err
		} else if receipt {
			continue // most entries about a subject are receipts: skip them cheaply
		}
		p, e, err := s.proofAt(loc)
		if err != nil {
			return nil, err
		}
		if p == nil || !isCreditRecord(e) {
			continue
		}
		if !r.fits(proto.Size(proofToPB(p)) + 8) {
			break
		}
		r.chain = append(r.chain, p)
		if e.GetCreditEvent() != nil {
			// A withdrawal names no subject, so the subject index does not
			// list it; find the event's corrections by its key.
			err := s.cfg.Store.CorrectionsOf(s.self, chain.EntryKey(e), func(fix store.Location) bool {
				locs = append(locs, fix)
				return true
			})
			if err != nil {
				return nil, err
			}
		}
	}
	slices.SortFunc(r.chain, func(a, b *chain.Proof) int {
		if c := cmp.Compare(a.Header.Height, b.Header.Height); c != 0 {
			return c
		}
		return cmp.Compare(a.Index, b.Index)
	})
	private, err := s.cfg.Source.Events(ctx, ref)
	if err != nil {
		return nil, err
	}
	for _, e := range private {
		if !r.fits(len(e) + 8) {
			break
		}
		r.private = append(r.private, e)
	}
	return r, nil
}

// receiptTag is the first byte of an encoded Entry holding a QueryReceipt
// (field 3, length-delimited), as our own builder writes it.
const receiptTag = 0x1a

// isReceipt reports whether the entry of our own chain at loc is a query
// receipt, from its first byte, sparing the proof's tree read and the
// decoding: our builder encodes entries deterministically, one field each.
func (s *Server) isReceipt(loc store.Location) (bool, error) {
	data, err := s.cfg.Store.Entry(loc)
	if errors.Is(err, store.ErrPruned) || errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return len(data) > 0 && data[0] == receiptTag, nil
}

// proofAt returns the proof and decoded entry at loc, or nil if the entry
// is gone (pruned after its expiry).
func (s *Server) proofAt(loc store.Location) (*chain.Proof, *chainpb.Entry, error) {
	p, err := s.cfg.Store.Proof(loc)
	if errors.Is(err, store.ErrPruned) || errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	e, err := chain.DecodeEntry(p.Entry, maxEntryBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: entry %d of block %d: %w", store.ErrCorrupt, loc.Index, loc.Height, err)
	}
	return p, e, nil
}

// isCreditRecord reports whether e is a credit event or a correction of
// one.
func isCreditRecord(e *chainpb.Entry) bool {
	if e.GetCreditEvent() != nil {
		return true
	}
	c := e.GetCorrection()
	return c != nil && len(c.TargetKey) > 0 && c.TargetKey[0] == chain.KeyCreditEvent
}
