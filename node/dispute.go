package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/records"
)

var _ api.DisputesBackend = (*Node)(nil)

// Dispute enters a subject's dispute on our chain. The subject presented
// their ID here; the disputed entry must be in our replica and about that
// subject (a credit event naming its reference, a payment whose sealed
// payer is the subject, opened with the order ID), so that nobody
// disputes another person's records through us.
func (n *Node) Dispute(ctx context.Context, req api.DisputeRequest) (*api.DisputeView, error) {
	if err := n.own.refusal(); err != nil {
		return nil, err
	}
	if err := n.checkDisk(); err != nil {
		return nil, err
	}
	ref, err := records.SubjectRef(req.Subject, n.opts.Secret)
	if err != nil {
		return nil, fmt.Errorf("%w: subject: %v", api.ErrBadRequest, err)
	}
	iss, err := n.issuerOf(req.Target.Issuer)
	if err != nil {
		return nil, err
	}
	if iss == n.self {
		return nil, fmt.Errorf("%w: the entry is ours: correct it (credmesh correct) rather than dispute it", api.ErrBadRequest)
	}
	key, err := n.targetKey(api.CorrectionTarget{Type: req.Target.Type, OrderID: req.Target.OrderID, EventID: req.Target.EventID})
	if err != nil {
		return nil, err
	}
	if err := n.aboutSubject(iss, key, req.Target.OrderID, ref); err != nil {
		return nil, err
	}
	d := &chainpb.Dispute{DisputeId: req.DisputeID, SubjectRef: ref, Issuer: iss[:], TargetKey: key, Statement: req.Statement}
	if d.DisputeId == "" {
		d.DisputeId = newID("DSP-")
	}
	if err := n.publishEntry(ctx, &chainpb.Entry{Body: &chainpb.Entry_Dispute{Dispute: d}}, "dispute ID "+d.DisputeId+" was used before"); err != nil {
		return nil, err
	}
	now := n.opts.Now().UTC()
	v := n.describeDispute(d, n.self, now)
	v.State = api.DisputeOpen
	return v, nil
}

// aboutSubject checks that iss's entry under key is in our replica and
// about the subject ref.
func (n *Node) aboutSubject(iss chain.IssuerID, key []byte, orderID string, ref []byte) error {
	notFound := fmt.Errorf("%w: this peer's replica holds no such entry of that member about this subject", api.ErrNotFound)
	loc, err := n.store.LocateKey(iss, key)
	if errors.Is(err, store.ErrNotFound) {
		return notFound
	} else if err != nil {
		return err
	}
	data, err := n.store.Entry(loc)
	if errors.Is(err, store.ErrPruned) || errors.Is(err, store.ErrNotFound) {
		return notFound // expired: nothing left to dispute
	} else if err != nil {
		return err
	}
	e, err := chain.DecodeEntry(data, len(data))
	if err != nil {
		return fmt.Errorf("%w: %v", store.ErrCorrupt, err)
	}
	var subject []byte
	switch {
	case e.GetCreditEvent() != nil:
		subject = e.GetCreditEvent().SubjectRef
	case e.GetPayment() != nil:
		rec, err := chain.OpenPayment(n.params.NetworkID, orderID, iss, e.GetPayment())
		if err != nil {
			return notFound
		}
		subject = rec.PayerRef
	}
	if !bytes.Equal(subject, ref) {
		return notFound
	}
	return nil
}

// Confirm answers a dispute of one of our entries with a Confirmation.
func (n *Node) Confirm(ctx context.Context, req api.ConfirmRequest) (*api.DisputeView, error) {
	if err := n.own.refusal(); err != nil {
		return nil, err
	}
	disputer, err := n.issuerOf(req.Disputer)
	if err != nil {
		return nil, err
	}
	loc, err := n.store.LocateKey(disputer, chain.DisputeKey(req.DisputeID))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: this peer holds no dispute %s of that member", api.ErrNotFound, req.DisputeID)
	} else if err != nil {
		return nil, err
	}
	d, at, err := n.disputeAt(loc)
	if err != nil {
		return nil, err
	}
	if chain.IssuerID(d.Issuer) != n.self {
		return nil, fmt.Errorf("%w: dispute %s is of another member's entry: only its issuer answers it", api.ErrForbidden, req.DisputeID)
	}
	c := &chainpb.Confirmation{Disputer: disputer[:], DisputeId: d.DisputeId, TargetKey: d.TargetKey, Reason: req.Reason}
	if err := n.publishEntry(ctx, &chainpb.Entry{Body: &chainpb.Entry_Confirmation{Confirmation: c}}, "dispute "+d.DisputeId+" is answered already"); err != nil {
		return nil, err
	}
	v := n.describeDispute(d, disputer, at)
	v.State, v.Answer, v.AnswerAt = api.DisputeConfirmed, req.Reason, n.opts.Now().UTC()
	return v, nil
}

// Disputes lists the disputes of issuer's entries (empty: ours).
func (n *Node) Disputes(issuer string) (*api.DisputeList, error) {
	iss := n.self
	if issuer != "" {
		var err error
		if iss, err = n.issuerOf(issuer); err != nil {
			return nil, err
		}
	}
	views, err := n.disputesAgainst(iss)
	if err != nil {
		return nil, err
	}
	out := &api.DisputeList{Issuer: peerString(iss), Disputes: views}
	for _, v := range views {
		if v.State == api.DisputeOverdue {
			out.Overdue++
		}
	}
	return out, nil
}

func (n *Node) disputesAgainst(iss chain.IssuerID) ([]api.DisputeView, error) {
	var locs []store.Location
	if err := n.store.DisputesAgainst(iss, func(l store.Location) bool {
		locs = append(locs, l)
		return true
	}); err != nil {
		return nil, err
	}
	return n.disputeViews(locs)
}

// disputesAbout lists the disputes of a subject, on every chain.
func (n *Node) disputesAbout(ref []byte) ([]api.DisputeView, error) {
	var locs []store.Location
	if err := n.store.BySubject(ref, func(l store.Location) bool {
		locs = append(locs, l)
		return true
	}); err != nil {
		return nil, err
	}
	var disputes []store.Location
	for _, l := range locs {
		data, err := n.store.Entry(l)
		if errors.Is(err, store.ErrPruned) || errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		if e, err := chain.DecodeEntry(data, len(data)); err == nil && e.GetDispute() != nil {
			disputes = append(disputes, l)
		}
	}
	return n.disputeViews(disputes)
}

func (n *Node) disputeViews(locs []store.Location) ([]api.DisputeView, error) {
	out := []api.DisputeView{}
	for _, l := range locs {
		v, err := n.disputeState(l)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// disputeState reads the dispute at loc and judges its state at our
// clock: confirmed (a Confirmation of the disputed entry's issuer names
// it), corrected (the issuer corrected the entry in a block at or after
// the dispute's), else open until its deadline and overdue after.
func (n *Node) disputeState(loc store.Location) (*api.DisputeView, error) {
	d, at, err := n.disputeAt(loc)
	if err != nil {
		return nil, err
	}
	v := n.describeDispute(d, loc.Issuer, at)
	iss := chain.IssuerID(d.Issuer)
	if cl, err := n.store.LocateKey(iss, chain.ConfirmationKey(loc.Issuer, d.DisputeId)); err == nil {
		e, t, err := n.entryAt(cl)
		if err != nil {
			return nil, err
		}
		if c := e.GetConfirmation(); c != nil && bytes.Equal(c.TargetKey, d.TargetKey) {
			v.State, v.Answer, v.AnswerAt = api.DisputeConfirmed, c.Reason, t
			return v, nil
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	var fixes []store.Location
	if err := n.store.CorrectionsOf(iss, d.TargetKey, func(l store.Location) bool {
		fixes = append(fixes, l)
		return true
	}); err != nil {
		return nil, err
	}
	for _, fl := range fixes {
		e, t, err := n.entryAt(fl)
		if err != nil {
			return nil, err
		}
		if !t.Before(at) {
			v.State, v.Answer, v.AnswerAt = api.DisputeCorrected, e.GetCorrection().GetReason(), t
			return v, nil
		}
	}
	v.State = api.DisputeOpen
	if n.opts.Now().After(v.Deadline) {
		v.State = api.DisputeOverdue
	}
	return v, nil
}

func (n *Node) describeDispute(d *chainpb.Dispute, disputer chain.IssuerID, at time.Time) *api.DisputeView {
	iss := chain.IssuerID(d.Issuer)
	return &api.DisputeView{
		DisputeID: d.DisputeId, Disputer: peerString(disputer), DisputerName: n.nameOf(disputer),
		Issuer: peerString(iss), IssuerName: n.nameOf(iss), SubjectRef: hex.EncodeToString(d.SubjectRef),
		TargetKey: hex.EncodeToString(d.TargetKey), Statement: d.Statement,
		FiledAt: at.UTC(), Deadline: chain.DisputeDeadline(at, n.params).UTC(),
	}
}

func (n *Node) disputeAt(loc store.Location) (*chainpb.Dispute, time.Time, error) {
	e, t, err := n.entryAt(loc)
	if err != nil {
		return nil, time.Time{}, err
	}
	if e.GetDispute() == nil {
		return nil, time.Time{}, fmt.Errorf("%w: entry %d of block %d of %s is not a dispute", store.ErrCorrupt, loc.Index, loc.Height, loc.Issuer.Short())
	}
	return e.GetDispute(), t, nil
}

// entryAt decodes the entry at loc, with its block's time.
func (n *Node) entryAt(loc store.Location) (*chainpb.Entry, time.Time, error) {
	h, err := n.store.Header(loc.Issuer, loc.Height)
	if err != nil {
		return nil, time.Time{}, err
	}
	data, err := n.store.Entry(loc)
	if err != nil {
		return nil, time.Time{}, err
	}
	e, err := chain.DecodeEntry(data, len(data))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: %v", store.ErrCorrupt, err)
	}
	return e, h.Time, nil
}

// publishEntry validates e, checks our roles and submits it to our builder,
// returning once it is durable; dup is the refusal of a key used before.
func (n *Node) publishEntry(ctx context.Context, e *chainpb.Entry, dup string) error {
	if err := chain.ValidateEntry(e); err != nil {
		return fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	if err := chain.CheckRights(e, n.self, n.opts.Genesis.Members()); err != nil {
		if errors.Is(err, chain.ErrNoRole) {
			return fmt.Errorf("%w: %v", api.ErrForbidden, err)
		}
		return fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	errs, err := n.builder.Submit(ctx, []*chainpb.Entry{e})
	if errors.Is(err, builder.ErrClosed) {
		return fmt.Errorf("%w: the peer is shutting down", api.ErrBusy)
	}
	if err != nil {
		return err
	}
	switch err := errs[0]; {
	case errors.Is(err, chain.ErrAlreadyAccepted):
		return fmt.Errorf("%w: %s", api.ErrBadRequest, dup)
	case err != nil:
		return fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	return nil
}

func newID(prefix string) string {
	id := make([]byte, 12)
	rand.Read(id)
	return prefix + hex.EncodeToString(id)
}
