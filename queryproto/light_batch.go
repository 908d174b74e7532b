package queryproto

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/libp2p/go-libp2p/core/peer"
)

// DefaultBatchParallel is how many batch requests of one LookupBatch are
// under way at once.
const DefaultBatchParallel = 2

// BatchLookup is the outcome of one order ID of a LookupBatch: what
// Lookup would have returned for it.
type BatchLookup struct {
	OrderID string
	Result  *LookupResult // nil only for an invalid order ID
	Err     error
}

// LookupBatch looks every order ID up as Lookup does, with the requests
// batched: the order IDs go to each peer MaxBatchLookups at a time, in
// one request per peer (DefaultBatchParallel of them at once), and each
// block header a peer's answer names once is verified once for all its
// records. Every record is checked as strictly as Lookup checks it, and
// every order ID gets its own result, in the order given (a repeated
// order ID gets the same result): verified answers from WithAnswers peers,
// hedging, merging, omission and fork checks as in Lookup. A peer whose
// batch answer fails any check has all of that answer rejected: every
// order ID of it gets the failed check (a *CheckError naming the item).
// The error is for the batch as a whole: no order IDs, or no peer to ask.
func (lc *LightClient) LookupBatch(ctx context.Context, orderIDs []string, from ...peer.ID) ([]BatchLookup, error) {
	if len(orderIDs) == 0 {
		return nil, fmt.Errorf("%w: no order IDs", ErrBadRequest)
	}
	out := make([]BatchLookup, len(orderIDs))
	first := make(map[string]int, len(orderIDs)) // order ID → its first position
	var ls []*lookup
	var pos []int
	for i, id := range orderIDs {
		out[i].OrderID = id
		if _, ok := first[id]; ok {
			continue
		}
		first[id] = i
		if err := privacy.CheckOrderID(id); err != nil {
			out[i].Err = fmt.Errorf("%w: %w", ErrBadRequest, err)
			continue
		}
		ls = append(ls, &lookup{lc: lc, orderID: id, hash: privacy.Lookup(lc.genesis.NetworkID, id)})
		pos = append(pos, i)
	}
	cands := lc.candidates(from)
	if len(cands) == 0 && len(ls) > 0 {
		return nil, fmt.Errorf("%w: no peer to ask", ErrUnreachable)
	}
	sem := make(chan struct{}, DefaultBatchParallel)
	var wg sync.WaitGroup
	for start := 0; start < len(ls); start += MaxBatchLookups {
		chunk := ls[start:min(start+MaxBatchLookups, len(ls))]
		at := pos[start : start+len(chunk)]
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			answers := lc.gatherBatch(ctx, cands, min(lc.set.answers, len(cands)), chunk)
			settleAll(ctx, chunk, answers, func(k int, res *LookupResult, err error) {
				out[at[k]].Result, out[at[k]].Err = res, err
			})
		})
	}
	wg.Wait()
	for i, id := range orderIDs {
		if j := first[id]; j != i {
			out[i] = out[j]
		}
	}
	return out, nil
}

// settleAll settles each lookup of a chunk with its answers, a few at a
// time: settling asks omitting peers again over the network.
func settleAll(ctx context.Context, ls []*lookup, answers [][]answer, done func(k int, res *LookupResult, err error)) {
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for k, l := range ls {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			res, err := l.settle(ctx, answers[k])
			done(k, res, err)
		})
	}
	wg.Wait()
}

// batchReply is one peer's answer to the batch of the lookups ids.
type batchReply struct {
	ids     []int
	answers []answer // one per id
}

// gatherBatch is gather for a chunk of lookups: it asks cands, each at
// most once, for the lookups of the chunk that still want answers, until
// each lookup has verified answers from want peers, every candidate was
// asked, or ctx ends. It asks want peers for the whole chunk at once;
// after each reply it asks the next candidate for the lookups that a
// failure or NOT_FOUND left short, and whenever the hedge delay passes
// without a reply, for every lookup still short. It returns each
// lookup's answers.
func (lc *LightClient) gatherBatch(ctx context.Context, cands []peer.ID, want int, ls []*lookup) [][]answer {
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make([][]answer, len(ls))
	verified := make([]int, len(ls))
	pending := make([]int, len(ls)) // requests under way per lookup
	replies := make(chan batchReply, len(cands))
	next, inflight := 0, 0
	ask := func(ids []int) {
		if next == len(cands) || len(ids) == 0 {
			return
		}
		p := cands[next]
		next++
		inflight++
		for _, i := range ids {
			pending[i]++
		}
		go func() { replies <- lc.askBatch(gctx, p, ls, ids) }()
	}
	short := func(countPending bool) []int {
		var ids []int
		for i := range ls {
			n := verified[i]
			if countPending {
				n += pending[i]
			}
			if n < want {
				ids = append(ids, i)
			}
		}
		return ids
	}
	all := make([]int, len(ls))
	for i := range all {
		all[i] = i
	}
	for range want {
		ask(all)
	}
	delay := lc.set.hedgeDelay
	hedge := time.NewTimer(delay)
	defer hedge.Stop()
	for inflight > 0 && len(short(false)) > 0 && ctx.Err() == nil {
		select {
		case r := <-replies:
			inflight--
			for k, i := range r.ids {
				pending[i]--
				got[i] = append(got[i], r.answers[k])
				if r.answers[k].err == nil {
					verified[i]++
				}
			}
			ask(short(true))
			hedge.Reset(delay)
		case <-hedge.C:
			ask(short(false))
			hedge.Reset(delay)
		case <-ctx.Done():
		}
	}
	ours := ctx.Err() == nil
	cancel()
	for ; inflight > 0; inflight-- {
		r := <-replies
		for k, i := range r.ids {
			a := r.answers[k]
			if ours && a.err != nil && errors.Is(a.err, context.Canceled) {
				a.err = errNotWaited
			}
			got[i] = append(got[i], a)
		}
	}
	return got
}

// askBatch asks p for the lookups ids of ls in one batch request under
// the per-peer deadline, verifies the answer and returns each lookup's
// part of it. A failure, or a failed check anywhere in the answer, is
// every lookup's answer.
func (lc *LightClient) askBatch(ctx context.Context, p peer.ID, ls []*lookup, ids []int) batchReply {
	r := batchReply{ids: ids, answers: make([]answer, len(ids))}
	all := func(err error) batchReply {
		for k := range r.answers {
			r.answers[k] = answer{peer: p, err: err}
		}
		return r
	}
	hashes := make([][privacy.LookupSize]byte, len(ids))
	for k, i := range ids {
		hashes[k] = ls[i].hash
	}
	ba, err := lc.paymentBatchPaced(ctx, p, hashes)
	if errors.Is(err, ErrBadRequest) {
		// A server from before batches knows no such operation: ask it
		// one order ID at a time.
		for k, i := range ids {
			r.answers[k] = ls[i].ask(ctx, p)
		}
		return r
	}
	if err != nil {
		return all(classify(p, "answer decoding", err))
	}
	hist, err := lc.membershipOf(ba.Decisions)
	if err != nil {
		return all(&CheckError{Peer: p, Check: "membership decisions", Err: err})
	}
	counts, err := lc.batchWitnesses(p, ba) // batch_witness_check.go
	if err != nil {
		return all(err)
	}
	headerIndex := make(map[*chain.SignedHeader]int, len(ba.Headers))
	for i, h := range ba.Headers {
		headerIndex[h] = i
	}
	// The items' checks are independent (a header's signature is checked
	// once, through the cache of verified headers), so they run on every
	// core; the first failure in the batch's order decides, as before.
	type checked struct {
		pays []Payment
		err  error
	}
	checks := make([]checked, len(ids))
	forEach(len(ids), func(k int) {
		if it := &ba.Items[k]; it.Err() == nil {
			checks[k].pays, checks[k].err = ls[ids[k]].verify(p, it.Proofs, hist)
		}
	})
	var kept []Payment // every verified record, for the evidence check
	for k, i := range ids {
		it := &ba.Items[k]
		if err := it.Err(); err != nil {
			r.answers[k] = answer{peer: p, err: err}
			continue
		}
		pays, err := checks[k].pays, checks[k].err
		if err != nil {
			var ce *CheckError
			if errors.As(err, &ce) {
				ce.Err = fmt.Errorf("batch item %d (order ID %s): %w", k, ls[i].orderID, ce.Err)
			}
			return all(err)
		}
		if err := lc.unwitnessed(p, it.Proofs, headerIndex, counts); err != nil {
			r.answers[k] = answer{peer: p, err: err}
			continue
		}
		r.answers[k] = answer{peer: p, payments: pays}
		kept = append(kept, pays...)
	}
	probe := &lookup{lc: lc}
	if err := probe.verifyEvidence(p, kept, ba.Evidence); err != nil {
		return all(err)
	}
	// Each lookup gets the pieces about the issuers of its own records.
	for k := range r.answers {
		a := &r.answers[k]
		if a.err != nil {
			continue
		}
		for _, ev := range ba.Evidence {
			if hasIssuer(a.payments, ev.A.Issuer) {
				a.evidence = append(a.evidence, ev)
			}
		}
	}
	return r
}

func hasIssuer(pays []Payment, iss chain.IssuerID) bool {
	for _, p := range pays {
		if p.Issuer == iss {
			return true
		}
	}
	return false
}

// Pacing of a batch a peer answered RATE_LIMITED: a batch costs a token
// per lookup hash of the peer's per-peer budget (PROTOCOL.md 11.4.2), which
// refills at its rate, so two batches of 256 at once can outrun a burst
// that either alone fits. The batch is asked again after batchRetryFirst,
// doubling, while the wait stays within batchRetryMax.
const (
	batchRetryFirst = 250 * time.Millisecond
	batchRetryMax   = 4 * time.Second
)

// paymentBatchPaced asks p for a batch, each attempt under the per-peer
// deadline, and asks again, paced, while p answers RATE_LIMITED.
func (lc *LightClient) paymentBatchPaced(ctx context.Context, p peer.ID, hashes [][privacy.LookupSize]byte) (*BatchAnswer, error) {
	for wait := batchRetryFirst; ; wait *= 2 {
		pctx, cancel := context.WithTimeout(ctx, lc.set.peerTimeout)
		ba, err := lc.client.PaymentBatch(pctx, p, hashes)
		cancel()
		if !errors.Is(err, ErrRateLimited) || wait > batchRetryMax {
			return ba, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}
