package builder

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/store"
)

// Run owns the pool: it accepts submissions, seals blocks and hands them
// out, until ctx ends. Entries still pending then stay in the durable pool
// for the next start. Run closes Sealed when it returns.
//
// Sealed blocks are written by a goroutine of their own (one batch in
// flight at a time) while the loop goes on checking submissions, which
// form the next group when the batch lands (direct.go).
func (b *Builder) Run(ctx context.Context) error {
	defer close(b.sealed)
	defer close(b.done)
	defer b.abandonFlight()
	tick := time.NewTicker(b.tickEvery())
	defer tick.Stop()
	for {
		var landed <-chan error
		if b.flight != nil {
			landed = b.flight.done
		}
		var err error
		select {
		case <-ctx.Done():
			return nil
		case req := <-b.submit:
			if b.flight != nil {
				b.gather(b.drain(req))
				break
			}
			b.accept(b.drain(req))
			err = b.seal(false)
		case werr := <-landed:
			if err = b.land(ctx, werr); err == nil {
				b.settleGathered()
				err = b.seal(false)
			}
		case h := <-b.hold:
			err = b.setHold(ctx, h)
		case <-tick.C:
			if !b.held && len(b.pool) > 0 && b.cfg.Now().Sub(b.since) >= b.cfg.Params.BlockInterval {
				err = b.seal(true)
			}
		case reply := <-b.flush:
			err = b.flushAll(ctx)
			reply <- err
		}
		if err != nil {
			return err
		}
	}
}

// flight is a batch of sealed blocks being written. Its entries have left
// the pool but their keys stay taken until it lands.
type flight struct {
	vbs     []*chain.VerifiedBlock
	entries int
	done    chan error

	// A flight sealed straight from acceptance (direct.go) also carries
	// the requests it answers when it lands, the new entries its blocks
	// hold (never written to the pending log), the new entries that did
	// not fill a block (written to the log beside the blocks) and how
	// that write went.
	direct *directWrite

	// What the pool and head were, to put back if the store refuses the
	// batch for lack of disk space (see requeue).
	pooled   []pooled
	prevHead *chain.SignedHeader
	since    time.Time
}

// diskRetry is how long the builder waits before sealing again after the
// store refused a batch for lack of disk space.
const diskRetry = time.Second

// land finishes the flight: its blocks are durable, so their keys are in
// the store and the blocks go out for publishing.
func (b *Builder) land(ctx context.Context, werr error) error {
	f := b.flight
	b.flight = nil
	if f.direct != nil {
		b.landDirect(f, werr)
		f.direct.answer()
	}
	if errors.Is(werr, store.ErrDiskFull) {
		b.requeue(f, werr)
		return nil
	}
	if werr != nil {
		// Nothing was published and the pending log still holds every
		// entry: a restart seals them again.
		return fmt.Errorf("builder: persisting sealed blocks: %w", werr)
	}
	for i := range f.pooled {
		b.release(&f.pooled[i])
	}
	b.updatePending()
	for _, vb := range f.vbs {
		b.cfg.Logger.Debug("sealed block", "height", vb.Height, "entries", len(vb.Entries))
		select {
		case b.sealed <- vb.Block:
		case <-ctx.Done():
			return nil // persisted; peers sync it from the store
		}
	}
	return nil
}

// requeue puts the entries of a flight the store refused for lack of disk
// space (it wrote nothing) back at the front of the pool, and the head
// back where it was: they are sealed again, as after a crash, once there
// is room, and the peer goes on serving meanwhile. The blocks were never
// published, so signing those heights again forks nothing.
func (b *Builder) requeue(f *flight, err error) {
	b.pool = append(f.pooled, b.pool...)
	b.head = f.prevHead
	b.since = f.since
	now := b.cfg.Now()
	b.retryAt = now.Add(diskRetry)
	b.updatePending()
	if now.Sub(b.diskLoggedAt) >= time.Minute {
		b.diskLoggedAt = now
		b.cfg.Logger.Error("cannot seal: the disk is full; the entries stay in the pending log and are sealed once space is freed", "pending", len(b.pool), "err", err)
	}
}

// flushAll seals everything pending and waits until it is durable. It
// does not wait out a retry after a refusal for space: the store judges
// again (and, still full, refuses again, leaving the entries pending). A
// held builder seals nothing: its entries stay in the durable pool.
func (b *Builder) flushAll(ctx context.Context) error {
	b.retryAt = time.Time{}
	for b.flight != nil {
		if err := b.land(ctx, <-b.flight.done); err != nil {
			return err
		}
		b.settleGathered() // may start a flight
	}
	if b.held {
		return nil
	}
	if err := b.seal(true); err != nil {
		return err
	}
	if b.flight != nil {
		return b.land(ctx, <-b.flight.done)
	}
	return nil
}

// abandonFlight waits for a write in progress when Run stops, so nothing
// writes to the store after Run returns.
func (b *Builder) abandonFlight() {
	if b.flight != nil {
		<-b.flight.done
		b.flight = nil
	}
}

func (b *Builder) updatePending() {
	n := len(b.pool)
	if b.flight != nil {
		n += b.flight.entries
	}
	b.pending.Store(int64(n))
}

func (b *Builder) tickEvery() time.Duration {
	d := b.cfg.Params.BlockInterval / 4
	return max(d, 5*time.Millisecond)
}

// drain collects req and every submission already waiting, so that they
// share one fsync.
func (b *Builder) drain(req *request) []*request {
	reqs := []*request{req}
	for {
		select {
		case r := <-b.submit:
			reqs = append(reqs, r)
		default:
			return reqs
		}
	}
}

// accept dedups and numbers the entries of reqs. Those that complete a
// block are sealed at once (sealDirect), and the requests are answered
// when that flight lands; otherwise the entries are durably pooled and
// every request is answered now.
func (b *Builder) accept(reqs []*request) {
	placed, errsAt := b.admitAll(reqs)
	b.settle(reqs, placed, errsAt)
}

// settle numbers the admitted entries placed of reqs from nextSeq and seals
// them at once or pools them.
func (b *Builder) settle(reqs []*request, placed []*pooled, errsAt []*error) {
	for i, p := range placed {
		p.seq = b.nextSeq + uint64(i)
	}
	if len(placed) > 0 && b.sealDirect(reqs, placed, errsAt) {
		return
	}
	if len(placed) > 0 {
		b.poolAll(placed, errsAt)
	}
	for _, r := range reqs {
		close(r.done)
	}
}

// admitAll returns the entries of reqs that may be accepted, numbered from
// nextSeq, with where to put each one's answer; it answers the others.
func (b *Builder) admitAll(reqs []*request) (placed []*pooled, errsAt []*error) {
	var (
		first  = b.nextSeq
		inThis = make(map[string]struct{})
	)
	sealed, err := b.sealedKeys(reqs)
	for _, r := range reqs {
		for i := range r.entries {
			p := &r.entries[i]
			if r.errs[i] != nil {
				continue
			}
			if err != nil {
				r.errs[i] = fmt.Errorf("builder: checking for a duplicate: %w", err)
				continue
			}
			if err := b.admit(p, len(placed), inThis, sealed); err != nil {
				r.errs[i] = fmt.Errorf("%w (%s)", err, describeKey(p.entry))
				continue
			}
			inThis[string(p.key)] = struct{}{}
			if p.idKey != nil {
				inThis[string(p.idKey)] = struct{}{}
			}
			p.seq = first + uint64(len(placed))
			placed = append(placed, p)
			errsAt = append(errsAt, &r.errs[i])
		}
	}
	return placed, errsAt
}

// poolAll writes placed to the pending log (one fsync) and pools them.
func (b *Builder) poolAll(placed []*pooled, errsAt []*error) {
	first := placed[0].seq
	batch := make([][]byte, len(placed))
	for i, p := range placed {
		batch[i] = p.data
	}
	if err := b.cfg.Store.AddPending(first, batch); err != nil {
		for _, e := range errsAt {
			*e = fmt.Errorf("builder: pending pool write failed, entry not accepted: %w", err)
		}
		if !errors.Is(err, store.ErrDiskFull) { // refused before writing; the caller says so
			b.cfg.Logger.Error("pending pool write failed", "err", err)
		}
		return
	}
	b.nextSeq = first + uint64(len(batch))
	if len(b.pool) == 0 {
		b.since = b.cfg.Now()
	}
	for _, p := range placed {
		b.pool = append(b.pool, *p)
		b.take(p)
	}
	b.updatePending()
}

// admit refuses p if the pool is full (placed entries of this batch
// included), if its key is taken (pooled, in flight, earlier in this batch,
// or sealed), or if it is a receipt whose querier and query ID are.
func (b *Builder) admit(p *pooled, placed int, inThis map[string]struct{}, sealed map[string]bool) error {
	if len(b.pool)+len(b.waiting.placed)+placed >= b.cfg.MaxPending {
		return ErrPoolFull
	}
	taken := func(k []byte) bool {
		_, pooled := b.keys[string(k)]
		_, here := inThis[string(k)]
		return pooled || here || sealed[string(k)]
	}
	if taken(p.key) {
		return ErrDuplicate
	}
	if p.idKey != nil && taken(p.idKey) {
		return ErrQueryIDUsed
	}
	return nil
}

// sealedKeys returns which keys of the requests' valid entries are already
// in our sealed chain, probing the store once for all of them.
func (b *Builder) sealedKeys(reqs []*request) (map[string]bool, error) {
	var keys [][]byte
	for _, r := range reqs {
		for i, p := range r.entries {
			if r.errs[i] == nil {
				keys = append(keys, p.key)
				if p.idKey != nil {
					keys = append(keys, p.idKey)
				}
			}
		}
	}
	found, err := b.cfg.Store.HasKeys(b.issuer, keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool)
	for i, f := range found {
		if f {
			out[string(keys[i])] = true
		}
	}
	return out, nil
}

func describeKey(e *chainpb.Entry) string {
	switch b := e.Body.(type) {
	case *chainpb.Entry_Payment:
		return "payment with this order ID"
	case *chainpb.Entry_CreditEvent:
		return "credit event " + b.CreditEvent.EventId
	case *chainpb.Entry_QueryReceipt:
		if q, err := chain.ReceiptQuery(b.QueryReceipt); err == nil {
			return fmt.Sprintf("receipt of query %s of %s", q.QueryId, chain.IssuerID(q.Querier).Short())
		}
		return "receipt"
	case *chainpb.Entry_Correction:
		return "correction " + b.Correction.CorrectionId
	}
	return "entry"
}

// seal cuts the pool into blocks in sequence order — all of it if partial
// is set, else only full blocks — signs them and starts writing them, with
// the pending mark, in one fsynced batch. With a batch already in flight it
// does nothing; the loop seals again when that batch lands. Nor does it
// before retryAt, after the store refused a batch for lack of space, or
// while the builder is held.
func (b *Builder) seal(partial bool) error {
	if b.flight != nil || b.held || b.cfg.Now().Before(b.retryAt) {
		return nil
	}
	now := b.cfg.Now()
	vbs, head, rest, err := b.cut(b.pool, partial, now)
	if err != nil {
		return err
	}
	if len(vbs) == 0 {
		return nil
	}
	end := b.nextSeq
	if len(rest) > 0 {
		end = rest[0].seq
	}
	f := &flight{vbs: vbs, done: make(chan error, 1), prevHead: b.head, since: b.since}
	f.pooled = append([]pooled(nil), b.pool[:len(b.pool)-len(rest)]...)
	f.entries = len(f.pooled)
	b.pool = append(b.pool[:0:0], rest...)
	if len(rest) > 0 {
		b.since = now
	}
	b.head = head
	b.flight = f
	b.updatePending()
	go func() { f.done <- b.cfg.Store.AppendSealed(vbs, end) }()
	return nil
}

// cut signs blocks of ps, in order, after the head: all of ps if partial
// is set, else only full blocks. It returns the blocks, the new head and
// the entries left over.
func (b *Builder) cut(ps []pooled, partial bool, now time.Time) (vbs []*chain.VerifiedBlock, head *chain.SignedHeader, rest []pooled, err error) {
	p := b.cfg.Params
	head, rest = b.head, ps
	for len(rest) > 0 {
		n, bytes := 0, 0
		for n < len(rest) && n < p.MaxBlockEntries && bytes+len(rest[n].data) <= p.MaxBlockBytes {
			bytes += len(rest[n].data)
			n++
		}
		full := n == p.MaxBlockEntries || n < len(rest)
		if !full && !partial {
			break
		}
		vb, err := b.build(head, rest[:n], now)
		if err != nil {
			return nil, nil, nil, err
		}
		vbs = append(vbs, vb)
		head = vb.SignedHeader
		rest = rest[n:]
	}
	return vbs, head, rest, nil
}

// build signs the block of ps after head. The entries were validated on
// submission (chain.CheckEntry included), so the block is verified by
// construction.
func (b *Builder) build(head *chain.SignedHeader, ps []pooled, now time.Time) (*chain.VerifiedBlock, error) {
	data := make([][]byte, len(ps))
	decoded := make([]*chainpb.Entry, len(ps))
	keys := make([][]byte, len(ps))
	for i, p := range ps {
		data[i], decoded[i], keys[i] = p.data, p.entry, p.key
		// A receipt's query may be at most chain.MaxQueryAge after its
		// block: if our clock went back since the receipt was accepted,
		// the block takes the time the receipt needs.
		now = maxTime(now, p.notBefore)
	}
	blk, tree, err := chain.SealBlock(b.cfg.Params.NetworkID, head, data, b.cfg.Key, now)
	if err != nil {
		return nil, fmt.Errorf("builder: signing block: %w", err)
	}
	return &chain.VerifiedBlock{Block: blk, Decoded: decoded, Keys: keys, Tree: tree}, nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// receiptNotBefore is the earliest block time a receipt allows (its query's
// time less chain.MaxQueryAge); zero for other entries.
func receiptNotBefore(e *chainpb.Entry) time.Time {
	r := e.GetQueryReceipt()
	if r == nil {
		return time.Time{}
	}
	q, err := chain.ReceiptQuery(r)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(q.TimeMs).Add(-chain.MaxQueryAge)
}
