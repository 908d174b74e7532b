package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/records"
)

var _ api.RightsBackend = (*Node)(nil)

// Correct publishes a Correction of one of our own sealed entries: a
// replacement (the record as it should have been, under the same order or
// event ID) or a withdrawal, with the reason. It returns once the
// correction is durable. The target must be sealed on our chain: the
// store refuses a block whose correction names no entry, so an unsealed
// target is refused here, before anything is written.
func (n *Node) Correct(ctx context.Context, req api.CorrectionRequest) (*api.CorrectionResult, error) {
	if err := n.own.refusal(); err != nil {
		return nil, err
	}
	if err := n.checkDisk(); err != nil {
		return nil, err
	}
	key, err := n.targetKey(req.Target)
	if err != nil {
		return nil, err
	}
	c := &chainpb.Correction{CorrectionId: req.CorrectionID, TargetKey: key, Reason: req.Reason}
	if c.CorrectionId == "" {
		id := make([]byte, 12)
		rand.Read(id)
		c.CorrectionId = "COR-" + hex.EncodeToString(id)
	}
	switch req.Action {
	case api.ActionWithdraw:
		c.Action = chainpb.CorrectionAction_CORRECTION_ACTION_WITHDRAW
		if req.Replacement != nil {
			return nil, fmt.Errorf("%w: a withdrawal has no replacement", api.ErrBadRequest)
		}
	case api.ActionReplace:
		c.Action = chainpb.CorrectionAction_CORRECTION_ACTION_REPLACE
		if req.Replacement == nil {
			return nil, fmt.Errorf("%w: replacement is required to replace: the record as it should have been", api.ErrBadRequest)
		}
		rc := records.Context{NetworkID: n.params.NetworkID, Issuer: n.self, Secret: n.opts.Secret, Now: n.opts.Now()}
		if c.Replacement, err = req.Replacement.Entry(rc); err != nil {
			return nil, fmt.Errorf("%w: replacement: %v", api.ErrBadRequest, err)
		}
		if !bytes.Equal(chain.EntryKey(c.Replacement), key) {
			return nil, fmt.Errorf("%w: the replacement must keep the target's type and its order or event ID", api.ErrBadRequest)
		}
	default:
		return nil, fmt.Errorf("%w: action %q is not replace or withdraw", api.ErrBadRequest, req.Action)
	}
	e := &chainpb.Entry{Body: &chainpb.Entry_Correction{Correction: c}}
	if err := chain.ValidateEntry(e); err != nil {
		return nil, fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	if err := chain.CheckRights(e, n.self, n.opts.Genesis.Members()); err != nil {
		return nil, fmt.Errorf("%w: %v", api.ErrForbidden, err)
	}
	if _, err := n.store.LocateKey(n.self, key); errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: our chain holds no sealed %s under this ID (an entry just submitted may not be sealed yet: retry shortly)", api.ErrNotFound, req.Target.Type)
	} else if err != nil {
		return nil, err
	}
	errs, err := n.builder.Submit(ctx, []*chainpb.Entry{e})
	if errors.Is(err, builder.ErrClosed) {
		return nil, fmt.Errorf("%w: the peer is shutting down", api.ErrBusy)
	}
	if err != nil {
		return nil, err
	}
	switch err := errs[0]; {
	case errors.Is(err, chain.ErrAlreadyAccepted):
		return nil, fmt.Errorf("%w: correction ID %s was used before: %v", api.ErrBadRequest, c.CorrectionId, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	return &api.CorrectionResult{CorrectionID: c.CorrectionId, TargetKey: hex.EncodeToString(key), Action: req.Action, Status: api.StatusAccepted}, nil
}

// targetKey is the entry key of the target: a payment by its order ID's
// lookup hash, a credit event by its event ID.
func (n *Node) targetKey(t api.CorrectionTarget) ([]byte, error) {
	switch t.Type {
	case records.TypePayment:
		if err := privacy.CheckOrderID(t.OrderID); err != nil {
			return nil, fmt.Errorf("%w: target.order_id: %v", api.ErrBadRequest, err)
		}
		l := privacy.Lookup(n.params.NetworkID, t.OrderID)
		return append([]byte{chain.KeyPayment}, l[:]...), nil
	case records.TypeCreditEvent:
		if t.EventID == "" {
			return nil, fmt.Errorf("%w: target.event_id is required for a credit event", api.ErrBadRequest)
		}
		return append([]byte{chain.KeyCreditEvent}, t.EventID...), nil
	}
	return nil, fmt.Errorf("%w: target.type %q is not payment or credit_event", api.ErrBadRequest, t.Type)
}
