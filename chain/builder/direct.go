package builder

import (
	"errors"
	"fmt"
	"sync"

	"github.com/credmesh/credmesh/chain/store"
)

// Sealing straight from acceptance. When the entries of one group commit
// complete at least one block, the loop signs those blocks at once and
// writes them, with the pending mark, in one fsynced batch, while only the
// entries left over (less than a block) go to the pending log, in
// parallel; every request of the group is answered once both writes are
// durable. An entry is then written once, in its block, instead of to the
// log first and to its block later, and each group costs one fsync of the
// database and one of a short log append, side by side, instead of a log
// fsync on the acknowledgement path followed by the block batch.
//
// The new entries in those blocks take no sequence number: the pending
// mark is the number of the first left-over entry, below which every
// entry is sealed. A crash before both writes are durable leaves one of
// them, or neither, and acknowledged nothing:
//   - blocks without the log: their entries are in the chain (submitting
//     them again finds them as duplicates), the left-over entries are lost;
//   - the log without the blocks: the left-over entries are pending and
//     are sealed after the restart, the blocks' new entries are lost;
//   - a torn block batch never exists (one Pebble batch), a torn log tail
//     is cut off at the next load as always.
//
// So that a left-over entry never depends on one lost with the blocks, a
// group holding a correction takes the ordinary path. Nor is the path
// taken while held or before a retry after a refusal for space. While a
// flight is in the air the loop gathers the next group (checks it and
// takes its keys, so that this work overlaps the write) and settles it
// when the flight lands.

// directWrite is what a flight sealed from acceptance answers when it
// lands.
type directWrite struct {
	reqs []*request
	// sealed are the group's entries in the flight's blocks, with where
	// their answers go.
	sealed     []*pooled
	sealedErrs []*error
	// fresh are the group's entries left over, numbered from first, and
	// logErr is how writing them to the pending log went.
	fresh     []pooled
	freshErrs []*error
	first     uint64
	logErr    error
}

// gathered are the submissions that arrived while a flight was in the air:
// checked and their keys taken at once, so that the work overlaps the
// write, then numbered, written and answered as one group once it lands.
type gathered struct {
	reqs   []*request
	placed []*pooled
	errsAt []*error
}

// gather admits reqs into the group waiting for the flight to land.
func (b *Builder) gather(reqs []*request) {
	placed, errsAt := b.admitAll(reqs)
	for _, p := range placed {
		b.take(p)
	}
	w := &b.waiting
	w.reqs = append(w.reqs, reqs...)
	w.placed = append(w.placed, placed...)
	w.errsAt = append(w.errsAt, errsAt...)
}

// settleGathered settles the waiting group, if any, as accept would have.
// It is called with no flight in the air.
func (b *Builder) settleGathered() {
	w := b.waiting
	b.waiting = gathered{}
	if len(w.reqs) == 0 {
		return
	}
	for _, p := range w.placed {
		b.release(p) // taken again by whichever path settles it
	}
	b.settle(w.reqs, w.placed, w.errsAt)
}

// sealDirect seals the pool and placed, the admitted entries of reqs, at
// once if they complete at least one block and leave the whole pool
// sealed, and starts writing the blocks and the left-over entries side by
// side. It reports whether it did; if not, nothing changed.
func (b *Builder) sealDirect(reqs []*request, placed []*pooled, errsAt []*error) bool {
	now := b.cfg.Now()
	if b.flight != nil || b.held || now.Before(b.retryAt) {
		return false
	}
	for _, p := range placed {
		if p.entry.GetCorrection() != nil {
			return false
		}
	}
	cands := make([]pooled, 0, len(b.pool)+len(placed))
	cands = append(cands, b.pool...)
	for _, p := range placed {
		cands = append(cands, *p)
	}
	vbs, head, rest, err := b.cut(cands, false, now)
	if err != nil || len(vbs) == 0 || len(rest) > len(placed) {
		// Signing failed (the ordinary path meets it again and reports
		// it), no block is full yet, or pooled entries would stay behind.
		return false
	}
	n := len(placed) - len(rest)
	d := &directWrite{
		reqs:       reqs,
		sealed:     placed[:n],
		sealedErrs: errsAt[:n],
		fresh:      rest,
		freshErrs:  errsAt[n:],
		first:      b.nextSeq,
	}
	data := make([][]byte, len(rest))
	for i := range d.fresh {
		d.fresh[i].seq = d.first + uint64(i)
		data[i] = d.fresh[i].data
	}
	for _, p := range placed {
		b.take(p)
	}
	f := &flight{vbs: vbs, done: make(chan error, 1), prevHead: b.head, since: b.since, direct: d}
	f.pooled = b.pool
	f.entries = len(cands)
	b.pool = nil
	b.nextSeq = d.first + uint64(len(rest))
	b.head = head
	b.flight = f
	b.updatePending()
	go func() {
		var wg sync.WaitGroup
		if len(data) > 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d.logErr = b.cfg.Store.AddPending(d.first, data)
			}()
		}
		err := b.cfg.Store.AppendSealed(vbs, d.first)
		wg.Wait()
		f.done <- err
	}()
	return true
}

// landDirect settles a direct flight's own entries before land settles
// the rest: the blocks' new entries are accepted if the blocks are
// durable, the left-over ones if the log write is, and those pool behind
// whatever requeue puts back. werr is the blocks' write.
func (b *Builder) landDirect(f *flight, werr error) {
	d := f.direct
	for i, p := range d.sealed {
		b.release(p)
		if werr != nil {
			*d.sealedErrs[i] = fmt.Errorf("builder: sealing failed, entry not accepted: %w", werr)
		}
	}
	if d.logErr != nil {
		for i := range d.fresh {
			b.release(&d.fresh[i])
			*d.freshErrs[i] = fmt.Errorf("builder: pending pool write failed, entry not accepted: %w", d.logErr)
		}
		// Nothing above first was acknowledged; the next append takes
		// its numbers (as after a failed ordinary append).
		b.nextSeq = d.first
		if !errors.Is(d.logErr, store.ErrDiskFull) {
			b.cfg.Logger.Error("pending pool write failed", "err", d.logErr)
		}
		return
	}
	if len(d.fresh) > 0 {
		if len(b.pool) == 0 {
			b.since = b.cfg.Now()
		}
		b.pool = append(b.pool, d.fresh...)
	}
}

// answer tells every request of the group its outcome.
func (d *directWrite) answer() {
	for _, r := range d.reqs {
		close(r.done)
	}
}
