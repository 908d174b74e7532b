package builder

import (
	"context"
	"fmt"
)

// Holding. A builder that is held accepts entries into its durable pool but
// seals nothing: the node holds it while its own chain may be missing
// blocks that its key signed (a store restored from a backup, a lost data
// directory), because a block signed on top of a stale head would be a
// second block at a height the network already holds. Hold waits until the
// batch in flight, if any, is durable, so that once it returns the store
// holds every block this builder signed. Resume re-reads the head from the
// store, which recovery may have extended, and drops pooled entries whose
// keys the chain already holds: they were sealed in a block the store had
// lost and are never signed again. New makes the same check, so a dropped
// entry that the pending log still holds is dropped again at every start.

type holdRequest struct {
	hold  bool
	reply chan error
}

// Hold stops sealing until Resume, once the blocks being written are
// durable.
func (b *Builder) Hold(ctx context.Context) error { return b.setHeld(ctx, true) }

// Resume re-reads the chain head from the store, drops pending entries the
// chain already holds and starts sealing again.
func (b *Builder) Resume(ctx context.Context) error { return b.setHeld(ctx, false) }

func (b *Builder) setHeld(ctx context.Context, hold bool) error {
	h := holdRequest{hold: hold, reply: make(chan error, 1)}
	select {
	case b.hold <- h:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.done:
		return ErrClosed
	}
	select {
	case err := <-h.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-b.done:
		return ErrClosed
	}
}

// setHold runs in Run. An error from writing the flight stops Run, as in
// the other cases.
func (b *Builder) setHold(ctx context.Context, h holdRequest) error {
	if h.hold {
		var err error
		b.held = true
		if b.flight != nil {
			err = b.land(ctx, <-b.flight.done)
		}
		if err == nil {
			b.settleGathered() // held: pooled, not sealed
		}
		h.reply <- err
		return err
	}
	if !b.held {
		// Nothing to resume. Re-reading the head now could go behind a
		// batch in flight and sign its height again.
		h.reply <- nil
		return nil
	}
	if err := b.dropSealed(); err != nil {
		h.reply <- err
		return nil // still held; the caller may try again
	}
	b.held = false
	h.reply <- nil
	return b.seal(false)
}

// dropSealed re-reads the head and removes from the pool every entry whose
// key the chain holds. The entries stay in the pending log until a later
// block's pending mark passes them; until then every load drops them again.
// It is called with no flight.
func (b *Builder) dropSealed() error {
	b.head = b.cfg.Store.Head(b.issuer)
	if len(b.pool) > 0 {
		keys := make([][]byte, len(b.pool))
		for i, p := range b.pool {
			keys[i] = p.key
		}
		found, err := b.cfg.Store.HasKeys(b.issuer, keys)
		if err != nil {
			return fmt.Errorf("builder: checking pending entries against the chain: %w", err)
		}
		kept := b.pool[:0:0]
		for i, p := range b.pool {
			if found[i] {
				b.release(&p)
				continue
			}
			kept = append(kept, p)
		}
		if dropped := len(b.pool) - len(kept); dropped > 0 {
			var height uint64
			if b.head != nil {
				height = b.head.Height
			}
			b.cfg.Logger.Warn("dropped pending entries already in our chain; they are not signed again", "count", dropped, "head", height)
		}
		b.pool = kept
	}
	if len(b.pool) > 0 {
		b.since = b.cfg.Now()
	}
	b.updatePending()
	return nil
}
