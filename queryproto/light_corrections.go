package queryproto

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p/core/peer"
)

// maxCorrections bounds the corrections an answer may carry per proof.
const maxCorrections = 64

// Correction is an issuer's correction of a payment, verified with its
// own proof: its block is the issuer's, signed, and holds the entry.
type Correction struct {
	Entry  *chainpb.Correction
	Proof  *chain.Proof
	Record *chainpb.PaymentRecord // the replacement opened; nil on a withdrawal
}

// Current returns the record as it stands after its corrections: the
// latest replacement, nil when the latest correction withdrew it.
func (p *Payment) Current() *chainpb.PaymentRecord {
	if len(p.Corrections) == 0 {
		return p.Record
	}
	return p.Corrections[len(p.Corrections)-1].Record
}

// correctionsOf returns the proofs of iss's corrections of its entry
// under key, oldest first (at most maxCorrections).
func (s *Server) correctionsOf(iss chain.IssuerID, key []byte) ([]*querypb.Proof, error) {
	var locs []store.Location
	if err := s.cfg.Store.CorrectionsOf(iss, key, func(l store.Location) bool {
		locs = append(locs, l)
		return len(locs) < maxCorrections
	}); err != nil {
		return nil, err
	}
	var out []*querypb.Proof
	for _, loc := range locs {
		p, err := s.cfg.Store.Proof(loc)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrPruned) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, proofToPB(p))
	}
	return out, nil
}

// verifyCorrections checks every correction a peer served with its
// payments and attaches each to the payment it corrects: its proof
// verifies against the genesis, it is a Correction of one of the
// payments' issuers whose target is that payment's key, in a later block
// of its chain, and a replacement opens with the order ID. Anything else
// fails the "correction" check: a peer cannot make up a correction.
func (l *lookup) verifyCorrections(p peer.ID, pays []Payment, proofs []*chain.Proof) error {
	g := l.lc.genesis
	key := append([]byte{chain.KeyPayment}, l.hash[:]...)
	for i, pr := range proofs {
		fail := func(err error) error {
			return &CheckError{Peer: p, Check: "correction", Err: fmt.Errorf("correction %d: %w", i, err)}
		}
		if err := pr.VerifyWith(g.Members, g.NetworkID, l.lc.verified.verify); err != nil {
			return fail(err)
		}
		j := slices.IndexFunc(pays, func(pay Payment) bool { return pay.Issuer == pr.Header.Issuer })
		if j < 0 {
			return fail(fmt.Errorf("of issuer %s, who served no record here", pr.Header.Issuer.Short()))
		}
		e, err := chain.DecodeEntry(pr.Entry, maxEntryBytes)
		if err != nil {
			return fail(err)
		}
		c := e.GetCorrection()
		switch {
		case c == nil:
			return fail(errors.New("not a correction"))
		case !bytes.Equal(c.TargetKey, key):
			return fail(errors.New("corrects another entry"))
		case pr.Header.Height <= pays[j].Height:
			return fail(errors.New("not after the record it corrects"))
		}
		fix := Correction{Entry: c, Proof: pr}
		if r := c.Replacement.GetPayment(); r != nil {
			if fix.Record, err = chain.OpenPayment(g.NetworkID, l.orderID, pr.Header.Issuer, r); err != nil {
				return fail(err)
			}
		}
		pays[j].Corrections = mergeCorrections(pays[j].Corrections, []Correction{fix})
	}
	return nil
}

// mergeCorrections returns the union of a and b by block and index,
// oldest first.
func mergeCorrections(a, b []Correction) []Correction {
	out := slices.Clone(a)
	for _, c := range b {
		if !slices.ContainsFunc(out, func(x Correction) bool {
			return x.Proof.Header.Hash == c.Proof.Header.Hash && x.Proof.Index == c.Proof.Index
		}) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(x, y Correction) int {
		if c := cmp.Compare(x.Proof.Header.Height, y.Proof.Header.Height); c != 0 {
			return c
		}
		return cmp.Compare(x.Proof.Index, y.Proof.Index)
	})
	return out
}
