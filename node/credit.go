package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/records"
)

// Submit takes records from POST /v1/records: payments and negative credit
// events (overdue, defaulted) go on our chain; every other credit event
// (opened, repaid, closed) is private credit data and is kept in our own
// store, never in a block, exactly as credit import --publish keeps it.
// errs[i] is nil once record i is durable.
func (n *Node) Submit(ctx context.Context, recs []records.Record) ([]error, error) {
	if err := n.own.refusal(); err != nil {
		return nil, err
	}
	return n.accept(ctx, recs, true, false)
}

// ImportCredit keeps credit events in our own store, never gossiped; with
// publish, the negative ones (overdue, defaulted) go on our chain instead.
// Records of another type are refused.
func (n *Node) ImportCredit(ctx context.Context, recs []records.Record, publish bool) ([]error, error) {
	return n.accept(ctx, recs, publish, true)
}

// privateRecord is a credit event on its way into the private store.
type privateRecord struct {
	at    int // index of its record
	event *chainpb.CreditEvent
	data  []byte // the encoded entry
}

// accept converts records into entries (subject references, sealed
// payments) and sends each where it belongs: payments, and negative credit
// events when publish is set, to the builder; other credit events into the
// private store. creditOnly refuses everything but credit events.
//
// An event ID names one event of ours for ever, private or published: an
// event whose ID is held privately about the subject, is on our sealed
// chain, or comes twice in one request is refused as a duplicate, as the
// builder refuses an entry key it holds. The chain's part is submitted
// first, so a failure of the whole request (shutdown, full disk) has
// stored nothing private either.
func (n *Node) accept(ctx context.Context, recs []records.Record, publish, creditOnly bool) ([]error, error) {
	if err := n.checkDisk(); err != nil {
		return nil, err
	}
	rc := records.Context{NetworkID: n.params.NetworkID, Issuer: n.self, Secret: n.opts.Secret, Now: n.opts.Now()}
	errs := make([]error, len(recs))
	var (
		entries []*chainpb.Entry
		at      []int
		private []privateRecord
		seen    = make(map[string]int) // event ID → its first record here
	)
	for i := range recs {
		if creditOnly && recs[i].Type != records.TypeCreditEvent {
			errs[i] = fmt.Errorf("%w: type: only credit_event records are private credit data", records.ErrInvalid)
			continue
		}
		e, err := recs[i].Entry(rc)
		if err != nil {
			errs[i] = err
			continue
		}
		ev := e.GetCreditEvent()
		if ev == nil {
			entries, at = append(entries, e), append(at, i)
			continue
		}
		if j, dup := seen[ev.EventId]; dup {
			errs[i] = fmt.Errorf("%w: credit event %s comes twice in this request (first at index %d); %s", errDuplicateEvent, ev.EventId, j, onceRule)
			continue
		}
		seen[ev.EventId] = i
		if publish && chain.IsNegative(ev.Kind) {
			if err := n.heldPrivately(ev); err != nil {
				errs[i] = err
				continue
			}
			entries, at = append(entries, e), append(at, i)
			continue
		}
		data, err := chain.EncodeEntry(e)
		if err != nil {
			errs[i] = err
			continue
		}
		private = append(private, privateRecord{at: i, event: ev, data: data})
	}
	n.refuseOnChain(private, errs)

	if len(entries) > 0 {
		if err := n.own.refusal(); err != nil {
			return nil, err
		}
		res, err := n.builder.Submit(ctx, entries)
		if err != nil {
			if errors.Is(err, builder.ErrClosed) {
				return nil, fmt.Errorf("%w: the peer is shutting down", api.ErrBusy)
			}
			return nil, err
		}
		if refusedForSpace(res) {
			st, _ := n.store.Disk()
			return nil, n.diskFull(st)
		}
		for j, e := range res {
			if errors.Is(e, chain.ErrAlreadyAccepted) {
				e = n.samePayment(entries[j], recs[at[j]].OrderID, e)
			}
			errs[at[j]] = e
		}
	}
	for _, p := range private {
		if errs[p.at] != nil {
			continue
		}
		err := n.store.PutPrivate(p.event.SubjectRef, p.event.EventId, p.data)
		if errors.Is(err, store.ErrPrivateExists) {
			err = fmt.Errorf("%w: credit event %s was accepted before and is held privately; %s", errDuplicateEvent, p.event.EventId, onceRule)
		}
		errs[p.at] = err
	}
	if len(entries) == 0 && refusedForSpace(errs) {
		st, _ := n.store.Disk()
		return nil, n.diskFull(st)
	}
	for _, e := range errs {
		if e == nil {
			n.accepted.Add(1)
		} else {
			n.refused.Add(1)
		}
	}
	return errs, nil
}

// errDuplicateEvent starts the refusal of a credit event whose ID was used
// before; onceRule ends it. The API answers such a record "duplicate".
var errDuplicateEvent = api.ErrDuplicate

// duplicate marks the builder's refusal of an entry key it holds
// (chain.ErrAlreadyAccepted) as api.ErrDuplicate, its message unchanged.
func (d duplicate) Unwrap() []error { return []error{d.error, api.ErrDuplicate} }

const onceRule = "an event ID is used once, private or published (docs/OPERATIONS.md, Records)"

// heldPrivately refuses a negative event about to be published whose ID is
// already held privately about its subject.
func (n *Node) heldPrivately(ev *chainpb.CreditEvent) error {
	held, err := n.store.HasPrivate(ev.SubjectRef, ev.EventId)
	switch {
	case err != nil:
		return fmt.Errorf("checking for a duplicate: %w", err)
	case held:
		return fmt.Errorf("%w: credit event %s was accepted before and is held privately; %s", errDuplicateEvent, ev.EventId, onceRule)
	}
	return nil
}

// refuseOnChain sets the refusal of every private record whose event ID is
// already on our sealed chain, probing the store once for all of them.
func (n *Node) refuseOnChain(private []privateRecord, errs []error) {
	if len(private) == 0 {
		return
	}
	keys := make([][]byte, len(private))
	for i, p := range private {
		keys[i] = chain.EntryKey(&chainpb.Entry{Body: &chainpb.Entry_CreditEvent{CreditEvent: p.event}})
	}
	found, err := n.store.HasKeys(n.self, keys)
	for i, p := range private {
		switch {
		case err != nil:
			errs[p.at] = fmt.Errorf("checking for a duplicate: %w", err)
		case found[i]:
			errs[p.at] = fmt.Errorf("%w: credit event %s is already published on our chain; %s", errDuplicateEvent, p.event.EventId, onceRule)
		}
	}
}
