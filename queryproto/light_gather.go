package queryproto

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/governance"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/libp2p/go-libp2p/core/peer"
)

// lookup is one LookupPayment under way.
type lookup struct {
	lc      *LightClient
	orderID string
	hash    [privacy.LookupSize]byte
}

// answer is one peer's answer to a payment request: its verified records
// and evidence, or why there are none (ErrNotFound, a *CheckError, or a
// failure).
type answer struct {
	peer     peer.ID
	payments []Payment
	evidence []*chain.Evidence // verified, about issuers of payments
	err      error
}

// gather asks cands for the payment until want of them answered records
// that verified, every candidate has answered, or ctx ends. It starts want
// requests at once, and one more whenever a request fails or is answered
// NOT_FOUND, and whenever the hedge delay passes without an answer. The
// requests still under way at the end are cancelled, and their outcomes
// are kept too.
func (l *lookup) gather(ctx context.Context, cands []peer.ID, want int) []answer {
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan answer, len(cands))
	next, inflight, verified := 0, 0, 0
	start := func() {
		if next == len(cands) {
			return
		}
		p := cands[next]
		next++
		inflight++
		go func() { results <- l.ask(gctx, p) }()
	}
	for inflight < want {
		start()
	}
	delay := l.lc.set.hedgeDelay
	hedge := time.NewTimer(delay)
	defer hedge.Stop()
	var got []answer
	for inflight > 0 && verified < want && ctx.Err() == nil {
		select {
		case a := <-results:
			inflight--
			got = append(got, a)
			if a.err == nil {
				verified++
			} else {
				start() // failed or NOT_FOUND: ask the next in its place
			}
			hedge.Reset(delay)
		case <-hedge.C:
			start()
			hedge.Reset(delay)
		case <-ctx.Done():
		}
	}
	ours := ctx.Err() == nil // we cancel the rest: enough peers answered
	cancel()
	for ; inflight > 0; inflight-- {
		a := <-results
		if ours && a.err != nil && errors.Is(a.err, context.Canceled) {
			a.err = errNotWaited
		}
		got = append(got, a)
	}
	return got
}

// errNotWaited is a request cancelled once enough peers had answered.
var errNotWaited = errors.New("not waited for: enough peers had answered")

// ask requests the payment from p under the per-peer deadline and
// verifies the answer.
func (l *lookup) ask(ctx context.Context, p peer.ID) answer {
	pctx, cancel := context.WithTimeout(ctx, l.lc.set.peerTimeout)
	defer cancel()
	pa, err := l.lc.client.Payment(pctx, p, l.hash)
	if err != nil {
		return answer{peer: p, err: classify(p, "answer decoding", err)}
	}
	hist, err := l.lc.membershipOf(pa.Decisions)
	if err != nil {
		return answer{peer: p, err: &CheckError{Peer: p, Check: "membership decisions", Err: err}}
	}
	pays, err := l.verify(p, pa.Proofs, hist)
	if err != nil {
		return answer{peer: p, err: err}
	}
	if err := l.verifyEvidence(p, pays, pa.Evidence); err != nil {
		return answer{peer: p, err: err}
	}
	ws, err := l.checkWitnesses(p, pa.Proofs, pa.Witnessed)
	if err != nil {
		return answer{peer: p, err: err}
	}
	for i := range pays {
		pays[i].Witnessed = ws[i]
	}
	if err := l.verifyCorrections(p, pays, pa.Corrections); err != nil {
		return answer{peer: p, err: err}
	}
	return answer{peer: p, payments: pays, evidence: pa.Evidence}
}

// classify turns an answer that does not decode (ErrMalformed, ErrTooLarge)
// into a failed check; other errors stay as they are.
func classify(p peer.ID, check string, err error) error {
	if errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge) {
		return &CheckError{Peer: p, Check: check, Err: err}
	}
	return err
}

// compareProofs orders proofs as servers must send them: by issuer key
// bytes, then height, then index.
func compareProofs(a, b *chain.Proof) int {
	if c := bytes.Compare(a.Header.Issuer[:], b.Header.Issuer[:]); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Header.Height, b.Header.Height); c != 0 {
		return c
	}
	return cmp.Compare(a.Index, b.Index)
}

// verify checks every proof a peer answered: the order of the proofs, then
// each as in docs/PROTOCOL.md 11.4.
func (l *lookup) verify(p peer.ID, proofs []*chain.Proof, hist *governance.History) ([]Payment, error) {
	g := l.lc.genesis
	for i := 1; i < len(proofs); i++ {
		a, b := proofs[i-1], proofs[i]
		if a.Header.Issuer == b.Header.Issuer {
			return nil, &CheckError{Peer: p, Check: "proof order", Err: fmt.Errorf("records %d and %d are both of issuer %s", i-1, i, b.Header.Issuer.Short())}
		}
		if compareProofs(a, b) > 0 {
			return nil, &CheckError{Peer: p, Check: "proof order", Err: fmt.Errorf("record %d (issuer %s) comes after record %d (issuer %s): proofs must be sorted by issuer key", i, b.Header.Issuer.Short(), i-1, a.Header.Issuer.Short())}
		}
	}
	out := make([]Payment, 0, len(proofs))
	for i, pr := range proofs {
		fail := func(check string, err error) error {
			return &CheckError{Peer: p, Check: check, Err: fmt.Errorf("record %d: %w", i, err)}
		}
		members := l.lc.membersAt(hist, pr.Header.Time)
		if err := pr.VerifyWith(members, g.NetworkID, l.lc.verified.verify); err != nil {
			return nil, fail("inclusion proof", err)
		}
		iss := pr.Header.Issuer
		if !mayPublishPayments(members, iss) {
			return nil, fail("issuer role", fmt.Errorf("issuer %s is not a payments member", iss.Short()))
		}
		e, err := chain.DecodeEntry(pr.Entry, maxEntryBytes)
		if err != nil {
			return nil, fail("entry", err)
		}
		sealed := e.GetPayment()
		if sealed == nil {
			return nil, fail("entry", errors.New("not a payment"))
		}
		if [privacy.LookupSize]byte(sealed.Lookup) != l.hash {
			return nil, fail("lookup hash", errors.New("the record is indexed under another order ID"))
		}
		rec, err := chain.OpenPayment(g.NetworkID, l.orderID, iss, sealed)
		if err != nil {
			return nil, fail("sealed record", err)
		}
		out = append(out, Payment{Record: rec, Issuer: iss, Height: pr.Header.Height, Index: pr.Index, Header: pr.Header, Peer: p, Peers: []peer.ID{p}, Proof: pr})
	}
	return out, nil
}

// verifyEvidence checks the evidence a peer served with its records
// (docs/PROTOCOL.md 11.4): each piece must verify against the genesis (two
// validly signed, different headers of one member at one height of this
// network) and be about the issuer of one of the records, at most one per
// issuer. Anything else fails the "evidence" check. The order of the
// pieces carries nothing and is not checked.
func (l *lookup) verifyEvidence(p peer.ID, pays []Payment, evs []*chain.Evidence) error {
	if len(evs) == 0 {
		return nil
	}
	g := l.lc.genesis
	issuers := make(map[chain.IssuerID]bool, len(pays))
	for _, pay := range pays {
		issuers[pay.Issuer] = true
	}
	seen := make(map[chain.IssuerID]bool, len(evs))
	for i, ev := range evs {
		fail := func(err error) error {
			return &CheckError{Peer: p, Check: "evidence", Err: fmt.Errorf("evidence %d: %w", i, err)}
		}
		if err := ev.Verify(g.Members, g.NetworkID); err != nil {
			return fail(err)
		}
		iss := ev.A.Issuer
		switch {
		case !issuers[iss]:
			return fail(fmt.Errorf("it is about issuer %s, of none of the answer's records", iss.Short()))
		case seen[iss]:
			return fail(fmt.Errorf("a second piece about issuer %s, at most one per issuer", iss.Short()))
		}
		seen[iss] = true
	}
	return nil
}
