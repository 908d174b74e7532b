package queryproto

import (
	"bytes"
	"errors"
	"slices"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/queryproto/querypb"
)

// Batch answers (docs/PROTOCOL.md 11.4.2). One request carries up to
// MaxBatchLookups lookup hashes, and the answer one item per hash, in the
// request's order. A block's signed header is sent once for all the
// records of the batch in that block, and named by its position: the
// header is most of a single answer's bytes, and its signature most of a
// light client's work, so a batch of records of a few blocks costs a few
// signature checks. Items left over when the answer reaches its byte
// budget are UNAVAILABLE (ask again), so an answer never goes over the
// response cap.

// batchAnswer builds a PaymentBatchResponse: the header table, the items
// and the running size of the records.
type batchAnswer struct {
	out     *querypb.PaymentBatchResponse
	headers map[chain.Hash]uint32
	issuers map[chain.IssuerID]bool // of the proofs kept
	size    int
	budget  int                   // bytes of records the items may take
	hdrs    []*chain.SignedHeader // out.Headers, decoded
}

// paymentBatch answers the proofs under each lookup hash of a batch, each
// item as payment answers a single lookup, and the evidence we hold
// against every issuer of them.
func (s *Server) paymentBatch(lookups [][privacy.LookupSize]byte) *querypb.Response {
	a := &batchAnswer{
		out:     &querypb.PaymentBatchResponse{Items: make([]*querypb.BatchItem, len(lookups))},
		headers: make(map[chain.Hash]uint32),
		issuers: make(map[chain.IssuerID]bool),
		budget:  answerBudget,
	}
	if s.cfg.Cosignatures != nil {
		a.budget -= batchCosignBudget // batch_witnessed.go
	}
	// The store reads of the items run in parallel; the answer is then
	// put together in the request's order, under its byte budget.
	reads := make([]itemRead, len(lookups))
	forEach(len(lookups), func(i int) { reads[i] = s.readItem(lookups[i]) })
	full := false
	for i := range lookups {
		if full {
			a.out.Items[i] = &querypb.BatchItem{Status: querypb.Status_STATUS_UNAVAILABLE}
			continue
		}
		var item *querypb.BatchItem
		item, full = a.add(reads[i])
		a.out.Items[i] = item
	}
	if s.cfg.Evidence != nil {
		ids := make([]chain.IssuerID, 0, len(a.issuers))
		for iss := range a.issuers {
			ids = append(ids, iss)
		}
		slices.SortFunc(ids, func(x, y chain.IssuerID) int { return bytes.Compare(x[:], y[:]) })
		for _, iss := range ids {
			if ev := s.cfg.Evidence(iss); ev != nil {
				a.out.Evidence = append(a.out.Evidence, ev.Proto())
			}
		}
	}
	s.batchWitnessed(a) // batch_witnessed.go
	if s.cfg.Decisions != nil {
		a.out.Decisions = decisionsToPB(s.cfg.Decisions())
	}
	return &querypb.Response{Status: querypb.Status_STATUS_OK, Result: &querypb.Response_PaymentBatch{PaymentBatch: a.out}}
}

// itemRead is what the store holds under one lookup hash of a batch:
// the proof of every record found, or internal set if a read failed.
type itemRead struct {
	proofs   []*chain.Proof
	issuers  []chain.IssuerID
	internal bool
}

// readItem reads the proofs of every record under lookup, in location
// order. It only reads, so the items of a batch are read in parallel.
func (s *Server) readItem(lookup [privacy.LookupSize]byte) itemRead {
	locs, err := s.cfg.Store.LookupPayment(lookup[:])
	if err != nil {
		if !errors.Is(err, store.ErrCorrupt) {
			s.cfg.Logger.Error("payment lookup", "err", err)
		}
		return itemRead{internal: true}
	}
	slices.SortFunc(locs, store.CompareLocations)
	var r itemRead
	for _, loc := range locs {
		p, err := s.cfg.Store.Proof(loc)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrPruned) {
			continue
		}
		if err != nil {
			if !errors.Is(err, store.ErrCorrupt) {
				s.cfg.Logger.Error("payment proof", "issuer", loc.Issuer.Short(), "height", loc.Height, "err", err)
			}
			return itemRead{internal: true}
		}
		r.proofs = append(r.proofs, p)
		r.issuers = append(r.issuers, loc.Issuer)
	}
	return r
}

// add puts one lookup hash's item into the answer, adding the headers its
// proofs need to the table. When the item would take the answer over its
// budget, it is UNAVAILABLE, its headers are taken out again, and full is
// set: the items after it are not answered.
func (a *batchAnswer) add(r itemRead) (item *querypb.BatchItem, full bool) {
	if r.internal {
		return &querypb.BatchItem{Status: querypb.Status_STATUS_INTERNAL}, false
	}
	item = &querypb.BatchItem{Status: querypb.Status_STATUS_OK}
	headersBefore, size := len(a.out.Headers), a.size
	var added []chain.Hash
	for _, p := range r.proofs {
		idx, ok := a.headers[p.Header.Hash]
		if !ok {
			idx = uint32(len(a.out.Headers))
			a.headers[p.Header.Hash] = idx
			a.out.Headers = append(a.out.Headers, p.Header.Proto())
			a.hdrs = append(a.hdrs, p.Header)
			added = append(added, p.Header.Hash)
			a.size += len(p.Header.Raw) + len(p.Header.Signature) + 8
		}
		path := make([][]byte, len(p.Path))
		for j := range p.Path {
			path[j] = p.Path[j][:]
		}
		item.Proofs = append(item.Proofs, &querypb.BatchProof{Entry: p.Entry, Index: p.Index, Path: path, Header: idx})
		a.size += len(p.Entry) + len(p.Path)*(len(chain.Hash{})+2) + 16
	}
	if a.size > a.budget {
		a.rollback(headersBefore, added)
		a.size = size
		return &querypb.BatchItem{Status: querypb.Status_STATUS_UNAVAILABLE}, true
	}
	if len(item.Proofs) == 0 {
		return &querypb.BatchItem{Status: querypb.Status_STATUS_NOT_FOUND}, false
	}
	for _, iss := range r.issuers {
		a.issuers[iss] = true
	}
	return item, false
}

// rollback takes out the headers an item added.
func (a *batchAnswer) rollback(headersBefore int, added []chain.Hash) {
	a.out.Headers = a.out.Headers[:headersBefore]
	a.hdrs = a.hdrs[:headersBefore]
	for _, h := range added {
		delete(a.headers, h)
	}
}
