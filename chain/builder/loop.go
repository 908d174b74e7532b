package builder

import (
	"context"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
)

// Run owns the pool: it accepts submissions, seals blocks and hands them
// out, until ctx ends. Entries still pending then stay in the durable pool
// for the next start. Run closes Sealed when it returns.
func (b *Builder) Run(ctx context.Context) error {
	defer close(b.sealed)
	defer close(b.done)
	tick := time.NewTicker(b.tickEvery())
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case req := <-b.submit:
			reqs := b.drain(req)
			b.accept(reqs)
			if err := b.sealFull(ctx); err != nil {
				return err
			}
		case <-tick.C:
			if len(b.pool) > 0 && b.cfg.Now().Sub(b.since) >= b.cfg.Params.BlockInterval {
				if err := b.seal(ctx, true); err != nil {
					return err
				}
			}
		case reply := <-b.flush:
			err := b.seal(ctx, true)
			reply <- err
			if err != nil {
				return err
			}
		}
	}
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

// accept dedups, numbers and durably pools the entries of reqs, then
// answers every request.
func (b *Builder) accept(reqs []*request) {
	defer func() {
		for _, r := range reqs {
			close(r.done)
		}
	}()
	var (
		batch  [][]byte
		placed []*pooled
		errsAt []*error
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
			if err := b.admit(p.key, inThis, sealed[string(p.key)]); err != nil {
				r.errs[i] = fmt.Errorf("%w (%s)", err, describeKey(p.entry))
				continue
			}
			inThis[string(p.key)] = struct{}{}
			p.seq = first + uint64(len(batch))
			batch = append(batch, p.data)
			placed = append(placed, p)
			errsAt = append(errsAt, &r.errs[i])
		}
	}
	if len(batch) == 0 {
		return
	}
	if err := b.cfg.Store.AddPending(first, batch); err != nil {
		for _, e := range errsAt {
			*e = fmt.Errorf("builder: pending pool write failed, entry not accepted: %w", err)
		}
		b.cfg.Logger.Error("pending pool write failed", "err", err)
		return
	}
	b.nextSeq = first + uint64(len(batch))
	if len(b.pool) == 0 {
		b.since = b.cfg.Now()
	}
	for _, p := range placed {
		b.pool = append(b.pool, *p)
		b.keys[string(p.key)] = struct{}{}
	}
	b.pending.Store(int64(len(b.pool)))
}

func (b *Builder) admit(key []byte, inThis map[string]struct{}, sealed bool) error {
	if len(b.pool)+len(inThis) >= b.cfg.MaxPending {
		return ErrPoolFull
	}
	if _, dup := b.keys[string(key)]; dup {
		return ErrDuplicate
	}
	if _, dup := inThis[string(key)]; dup || sealed {
		return ErrDuplicate
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
		return "receipt of query " + b.QueryReceipt.QueryId
	case *chainpb.Entry_Correction:
		return "correction " + b.Correction.CorrectionId
	}
	return "entry"
}

// sealFull seals every full block the pool holds.
func (b *Builder) sealFull(ctx context.Context) error {
	return b.seal(ctx, false)
}

// seal cuts the pool into blocks in sequence order — all of it if partial
// is set, else only full blocks — and persists them in one fsynced batch
// before handing them out.
func (b *Builder) seal(ctx context.Context, partial bool) error {
	p := b.cfg.Params
	var (
		vbs  []*chain.VerifiedBlock
		head = b.head
		rest = b.pool
		now  = b.cfg.Now()
	)
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
			return err
		}
		vbs = append(vbs, vb)
		head = vb.SignedHeader
		rest = rest[n:]
	}
	if len(vbs) == 0 {
		return nil
	}
	end := b.nextSeq
	if len(rest) > 0 {
		end = rest[0].seq
	}
	if err := b.cfg.Store.AppendSealed(vbs, end); err != nil {
		// Nothing was published and the pool is intact on disk; a restart
		// seals these entries again.
		return fmt.Errorf("builder: persisting sealed blocks: %w", err)
	}
	for _, p := range b.pool[:len(b.pool)-len(rest)] {
		delete(b.keys, string(p.key))
	}
	b.pool = append(b.pool[:0:0], rest...)
	b.pending.Store(int64(len(b.pool)))
	if len(rest) > 0 {
		b.since = now
	}
	b.head = head
	for _, vb := range vbs {
		b.cfg.Logger.Debug("sealed block", "height", vb.Height, "entries", len(vb.Entries))
		select {
		case b.sealed <- vb.Block:
		case <-ctx.Done():
			return nil // persisted; a restarted node publishes from the store
		}
	}
	return nil
}

// build signs the block of ps after head. The entries were validated on
// submission, so the block is verified by construction.
func (b *Builder) build(head *chain.SignedHeader, ps []pooled, now time.Time) (*chain.VerifiedBlock, error) {
	data := make([][]byte, len(ps))
	decoded := make([]*chainpb.Entry, len(ps))
	keys := make([][]byte, len(ps))
	for i, p := range ps {
		data[i], decoded[i], keys[i] = p.data, p.entry, p.key
	}
	blk, tree, err := chain.SealBlock(b.cfg.Params.NetworkID, head, data, b.cfg.Key, now)
	if err != nil {
		return nil, fmt.Errorf("builder: signing block: %w", err)
	}
	return &chain.VerifiedBlock{Block: blk, Decoded: decoded, Keys: keys, Tree: tree}, nil
}
