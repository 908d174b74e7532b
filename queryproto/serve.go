package queryproto

import (
	"bytes"
	"errors"
	"slices"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/queryproto/querypb"
)

// heads answers every chain's newest signed header, sorted by issuer.
func (s *Server) heads() *querypb.Response {
	heads := s.cfg.Store.Heads()
	ids := make([]chain.IssuerID, 0, len(heads))
	for id := range heads {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b chain.IssuerID) int { return bytes.Compare(a[:], b[:]) })
	out := &querypb.HeadsResponse{Heads: make([]*chainpb.SignedHeader, len(ids))}
	for i, id := range ids {
		out.Heads[i] = heads[id].Proto()
	}
	return &querypb.Response{Status: querypb.Status_STATUS_OK, Result: &querypb.Response_Heads{Heads: out}}
}

// payment answers the proof of every payment indexed under lookup, sorted
// by issuer key, height, index (docs/PROTOCOL.md 11.4; clients reject any
// other order), and the evidence we hold against each issuer of them.
func (s *Server) payment(lookup [privacy.LookupSize]byte) *querypb.Response {
	locs, err := s.cfg.Store.LookupPayment(lookup[:])
	if err != nil {
		if !errors.Is(err, store.ErrCorrupt) { // the store logs corruption, rate-limited
			s.cfg.Logger.Error("payment lookup", "err", err)
		}
		return failure(querypb.Status_STATUS_INTERNAL, "store error")
	}
	// The index is in issuer order already; sorting states the contract
	// rather than relying on the key layout.
	slices.SortFunc(locs, store.CompareLocations)
	out := &querypb.PaymentResponse{}
	var served chain.IssuerID // the issuer of the last proof
	for _, loc := range locs {
		p, err := s.cfg.Store.Proof(loc)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrPruned) {
			continue
		}
		if err != nil {
			if !errors.Is(err, store.ErrCorrupt) {
				s.cfg.Logger.Error("payment proof", "issuer", loc.Issuer.Short(), "height", loc.Height, "err", err)
			}
			return failure(querypb.Status_STATUS_INTERNAL, "store error")
		}
		out.Proofs = append(out.Proofs, proofToPB(p))
		out.Witnessed = append(out.Witnessed, s.witnessed(len(out.Proofs)-1, p)...)
		// One lookup per issuer: the proofs are in issuer order.
		if s.cfg.Evidence != nil && (len(out.Proofs) == 1 || loc.Issuer != served) {
			if ev := s.cfg.Evidence(loc.Issuer); ev != nil {
				out.Evidence = append(out.Evidence, ev.Proto())
			}
		}
		served = loc.Issuer
		fixes, err := s.correctionsOf(loc.Issuer, append([]byte{chain.KeyPayment}, lookup[:]...))
		if err != nil {
			return failure(querypb.Status_STATUS_INTERNAL, "store error")
		}
		out.Corrections = append(out.Corrections, fixes...)
	}
	if len(out.Proofs) == 0 {
		return failure(querypb.Status_STATUS_NOT_FOUND, "no payment under this lookup hash")
	}
	if s.cfg.Decisions != nil {
		out.Decisions = decisionsToPB(s.cfg.Decisions())
	}
	return &querypb.Response{Status: querypb.Status_STATUS_OK, Result: &querypb.Response_Payment{Payment: out}}
}
