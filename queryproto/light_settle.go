package queryproto

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/credmesh/credmesh/chain"
	"github.com/libp2p/go-libp2p/core/peer"
)

// recordKey identifies a verified record across answers.
type recordKey struct {
	issuer chain.IssuerID
	height uint64
	index  uint32
	header chain.Hash
}

func keyOf(p *Payment) recordKey {
	return recordKey{issuer: p.Issuer, height: p.Height, index: p.Index, header: p.Header.Hash}
}

// merged is the union of the verified answers of a lookup.
type merged struct {
	recs     map[recordKey]*Payment
	served   map[peer.ID]map[chain.IssuerID]bool // the issuers each complete answer served
	heads    []*chain.SignedHeader               // verified heads seen while checking omissions
	evidence map[chain.IssuerID]*Fork            // verified evidence served, the first per issuer
}

func newMerged() *merged {
	return &merged{recs: make(map[recordKey]*Payment), served: make(map[peer.ID]map[chain.IssuerID]bool), evidence: make(map[chain.IssuerID]*Fork)}
}

// addEvidence keeps the verified evidence p served: the first piece per
// issuer, with every peer that served evidence against it.
func (m *merged) addEvidence(p peer.ID, evs []*chain.Evidence) {
	for _, ev := range evs {
		iss := ev.A.Issuer
		if f, ok := m.evidence[iss]; ok {
			if !slices.Contains(f.ServedBy, p) {
				f.ServedBy = append(f.ServedBy, p)
			}
			continue
		}
		m.evidence[iss] = &Fork{Issuer: iss, A: ev.A, B: ev.B, Evidence: ev, ServedBy: []peer.ID{p}}
	}
}

func (m *merged) add(p peer.ID, pays []Payment) {
	s := m.served[p]
	if s == nil {
		s = make(map[chain.IssuerID]bool)
		m.served[p] = s
	}
	for _, pay := range pays {
		s[pay.Issuer] = true
		k := keyOf(&pay)
		if r, ok := m.recs[k]; ok {
			if !slices.Contains(r.Peers, p) {
				r.Peers = append(r.Peers, p)
				r.Witnessed = append(r.Witnessed, pay.Witnessed...)
			}
			r.Corrections = mergeCorrections(r.Corrections, pay.Corrections)
			continue
		}
		pay.Peers = []peer.ID{p}
		pay.Peer = p
		m.recs[k] = &pay
	}
}

// sorted returns the records by issuer key, height, index, header hash.
func (m *merged) sorted() []Payment {
	out := make([]Payment, 0, len(m.recs))
	for _, r := range m.recs {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Payment) int {
		if c := compareProofs(&chain.Proof{Header: a.Header, Index: a.Index}, &chain.Proof{Header: b.Header, Index: b.Index}); c != 0 {
			return c
		}
		return bytes.Compare(a.Header.Hash[:], b.Header.Hash[:])
	})
	return out
}

// missing returns the records p's answer left out: those of issuers it
// served nothing of.
func (m *merged) missing(p peer.ID, all []Payment) []Payment {
	var out []Payment
	for _, r := range all {
		if !m.served[p][r.Issuer] {
			out = append(out, r)
		}
	}
	return out
}

// forks returns the forked issuers among the records (sorted by issuer
// key), one each: evidence served against it; else two different records
// of it (at one height: evidence; in two blocks: two payments under one
// order ID in one chain); else a head seen at the height of one of its
// records with another hash.
func forks(pays []Payment, heads []*chain.SignedHeader, served map[chain.IssuerID]*Fork) []Fork {
	var out []Fork
	for i, r := range pays {
		if i > 0 && pays[i-1].Issuer == r.Issuer {
			continue // judged with the issuer's first record
		}
		if f := served[r.Issuer]; f != nil {
			out = append(out, *f)
			continue
		}
		if i+1 < len(pays) && pays[i+1].Issuer == r.Issuer {
			b := pays[i+1].Header
			out = append(out, Fork{Issuer: r.Issuer, A: r.Header, B: b, Evidence: chain.NewEvidence(r.Header, b)})
			continue
		}
	heads:
		for _, h := range heads {
			for _, x := range pays[i:] {
				if x.Issuer != r.Issuer {
					break
				}
				if h.Issuer == x.Issuer && h.Height == x.Height && h.Hash != x.Header.Hash {
					out = append(out, Fork{Issuer: x.Issuer, A: x.Header, B: h, Evidence: chain.NewEvidence(x.Header, h)})
					break heads
				}
			}
		}
	}
	return out
}

// settle merges the answers, checks every omission, and decides the
// lookup's outcome.
func (l *lookup) settle(ctx context.Context, answers []answer) (*LookupResult, error) {
	res := &LookupResult{OrderID: l.orderID}
	m := newMerged()
	var checks, unwitnessed []error
	for _, a := range answers {
		switch {
		case a.err == nil:
			res.Answered = append(res.Answered, a.peer)
			m.add(a.peer, a.payments)
			m.addEvidence(a.peer, a.evidence)
		case errors.Is(a.err, ErrNotFound):
			res.NotFound = append(res.NotFound, a.peer)
			m.add(a.peer, nil)
		case errors.Is(a.err, ErrVerify):
			checks = append(checks, a.err)
		case errors.Is(a.err, ErrUnwitnessed):
			unwitnessed = append(unwitnessed, a.err)
		default:
			res.Failed = append(res.Failed, PeerFailure{Peer: a.peer, Err: a.err})
		}
	}

	// Every complete answer that left a record out is checked, in
	// parallel: a peer that holds the block hides the record; one that
	// does not is behind.
	all := m.sorted()
	peers := append(slices.Clone(res.Answered), res.NotFound...)
	rechecks := make([]recheck, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		if miss := m.missing(p, all); len(miss) > 0 {
			wg.Go(func() { rechecks[i] = l.recheck(ctx, p, miss) })
		}
	}
	wg.Wait()
	for _, r := range rechecks {
		res.Behind = append(res.Behind, r.lags...)
		res.Failed = append(res.Failed, r.failed...)
		checks = append(checks, r.checks...)
		m.heads = append(m.heads, r.heads...)
		if r.again != nil {
			m.add(r.peer, r.again.payments)
			m.addEvidence(r.peer, r.again.evidence)
		}
	}
	res.Payments = m.sorted()

	issuers := 0
	for i, p := range res.Payments {
		if i == 0 || p.Issuer != res.Payments[i-1].Issuer {
			issuers++
		}
	}
	res.Forks = forks(res.Payments, m.heads, m.evidence)
	for _, f := range res.Forks {
		for i := range res.Payments {
			if res.Payments[i].Issuer == f.Issuer {
				res.Payments[i].Forked = true
			}
		}
	}
	switch {
	case len(checks) > 0:
		return res, errors.Join(checks...)
	case len(res.Forks) > 0:
		return res, &ForkError{Fork: res.Forks[0], Forks: res.Forks, Payments: res.Payments}
	case len(unwitnessed) > 0:
		// A record shown without the policy's cosignatures may be a block
		// the rest of the network never saw: nothing is trusted.
		return res, errors.Join(unwitnessed...)
	case issuers > 1:
		return res, &ConflictError{OrderID: l.orderID, Payments: res.Payments}
	case issuers == 1:
		return res, nil
	case len(res.NotFound) > 0:
		return res, &NotFoundError{Peers: res.NotFound, Failed: res.Failed}
	}
	errs := make([]error, 0, len(res.Failed))
	for _, f := range res.Failed {
		errs = append(errs, namePeer(f.Peer, f.Err))
	}
	if len(errs) == 0 {
		return res, fmt.Errorf("%w: no peer answered", ErrUnreachable)
	}
	return res, errors.Join(errs...)
}

// recheck is what asking an omitting peer again found out.
type recheck struct {
	peer   peer.ID
	lags   []Lag
	failed []PeerFailure
	checks []error
	heads  []*chain.SignedHeader // its verified heads of the issuers concerned
	again  *answer               // its second payment answer, when complete
}

// recheck asks p, whose answer left out the records in missing, for its
// heads. A record whose block is above p's signed head of the issuer's
// chain is one p does not hold yet. For the others p is asked for the
// payment again: the head was read after the first answer, so a peer
// that still leaves the record out holds it and hides it (a failed
// check), and one that now serves it was behind.
func (l *lookup) recheck(ctx context.Context, p peer.ID, missing []Payment) (r recheck) {
	r.peer = p
	hctx, cancel := context.WithTimeout(ctx, l.lc.set.peerTimeout)
	heads, err := l.lc.client.Heads(hctx, p)
	cancel()
	if err != nil {
		if err = classify(p, "heads answer", err); errors.Is(err, ErrVerify) {
			r.checks = append(r.checks, err)
		} else {
			r.failed = append(r.failed, PeerFailure{Peer: p, Err: fmt.Errorf("its answer left out %d record(s), and asking for its heads failed: %w", len(missing), err)})
		}
		return r
	}
	need := make(map[chain.IssuerID]bool)
	for _, m := range missing {
		need[m.Issuer] = true
	}
	headOf := make(map[chain.IssuerID]*chain.SignedHeader)
	g := l.lc.genesis
	for i, h := range heads {
		if !need[h.Issuer] {
			continue
		}
		if headOf[h.Issuer] != nil {
			r.checks = append(r.checks, &CheckError{Peer: p, Check: "heads answer", Err: fmt.Errorf("two heads of issuer %s", h.Issuer.Short())})
			return r
		}
		if h.NetworkID != g.NetworkID {
			err = fmt.Errorf("%w: head %d is of network %q", chain.ErrWrongNetwork, i, h.NetworkID)
		} else if err = h.VerifySignature(); err != nil {
			err = fmt.Errorf("head %d (issuer %s): %w", i, h.Issuer.Short(), err)
		}
		if err != nil {
			r.checks = append(r.checks, &CheckError{Peer: p, Check: "heads answer", Err: err})
			return r
		}
		headOf[h.Issuer] = h
		r.heads = append(r.heads, h)
	}
	var suspects []Payment
	for _, m := range missing {
		h := headOf[m.Issuer]
		if h == nil || h.Height < m.Height {
			lag := Lag{Peer: p, Issuer: m.Issuer, Height: m.Height}
			if h != nil {
				lag.Head = h.Height
			}
			r.lags = append(r.lags, lag)
			continue
		}
		suspects = append(suspects, m)
	}
	if len(suspects) == 0 {
		return r
	}
	a := l.ask(ctx, p)
	switch {
	case a.err == nil || errors.Is(a.err, ErrNotFound):
		r.again = &a
		for _, m := range suspects {
			head := headOf[m.Issuer].Height
			switch {
			case slices.ContainsFunc(a.payments, func(x Payment) bool { return keyOf(&x) == keyOf(&m) }):
				r.lags = append(r.lags, Lag{Peer: p, Issuer: m.Issuer, Height: m.Height, Head: head, CaughtUp: true})
			case slices.ContainsFunc(a.payments, func(x Payment) bool { return x.Issuer == m.Issuer }):
				// Another record of the issuer: the fork check judges it.
			default:
				r.checks = append(r.checks, &CheckError{Peer: p, Check: "omission", Err: fmt.Errorf(
					"its answer leaves out issuer %s's record in block %d, though its signed head of that chain is at height %d", m.Issuer.Short(), m.Height, head)})
			}
		}
	case errors.Is(a.err, ErrVerify):
		r.checks = append(r.checks, a.err)
	default:
		r.failed = append(r.failed, PeerFailure{Peer: p, Err: fmt.Errorf("its answer left out %d record(s) of blocks it holds, and asking it again failed: %w", len(suspects), a.err)})
	}
	return r
}
