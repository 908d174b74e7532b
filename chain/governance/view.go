package governance

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
)

// View is a peer's running membership: a Log of the chains it holds and
// the History computed from it, safe for concurrent use. Validators ask it
// for the epoch at a block's time; the store's appends feed it.
type View struct {
	g    Genesis
	base chain.Params

	mu struct {
		sync.RWMutex
		log  *Log
		hist *History
	}
}

// NewView returns the view of a genesis with no chains held. base is the
// genesis's chain parameters, which epochs override (Epoch.ChainParams).
func NewView(g Genesis, base chain.Params) *View {
	v := &View{g: g, base: base}
	v.mu.log = NewLog()
	v.mu.hist = Compute(g, v.mu.log)
	return v
}

// Genesis returns the view's epoch 0.
func (v *View) Genesis() Genesis { return v.g }

// AddBlock records a block that was stored. It reports whether the
// membership history changed (a new decision, or a head that settles one).
func (v *View) AddBlock(vb *chain.VerifiedBlock) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	changed := v.mu.log.AddBlock(vb)
	if changed || v.hasUnsettledLocked() {
		old := v.mu.hist
		v.mu.hist = Compute(v.g, v.mu.log)
		return changed || len(old.epochs) != len(v.mu.hist.epochs) || v.hasUnsettledLocked() != hasUnsettled(old)
	}
	return false
}

func (v *View) hasUnsettledLocked() bool { return hasUnsettled(v.mu.hist) }

func hasUnsettled(h *History) bool {
	for _, o := range h.outcomes {
		if o.Unsettled {
			return true
		}
	}
	return false
}

// History returns the history as of the blocks recorded so far. It is
// immutable: later blocks make a new one.
func (v *View) History() *History {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.mu.hist
}

// At returns the epoch in force at t.
func (v *View) At(t time.Time) *Epoch { return v.History().At(t) }

// Members returns the members with their roles at t.
func (v *View) Members(t time.Time) chain.Members { return v.At(t).ChainMembers() }

// Params returns the chain parameters in force at t.
func (v *View) Params(t time.Time) chain.Params { return v.At(t).ChainParams(v.base) }

// ValidateBlock is chain.ValidateBlock with the members and parameters in
// force at the block's time. A membership failure (ErrNotMember,
// ErrNoRole) at a time the History has not settled is returned as
// chain.ErrMembershipUnsettled, which cannot be judged yet.
func (v *View) ValidateBlock(b *chain.Block, head *chain.SignedHeader, now time.Time) (*chain.VerifiedBlock, error) {
	h := v.History()
	e := h.At(b.Time)
	vb, err := chain.ValidateBlock(b, head, e.ChainMembers(), e.ChainParams(v.base), now)
	return vb, Judge(h, err, b.Issuer, b.Time)
}

// ValidateSynced is chain.ValidateSynced, as ValidateBlock.
func (v *View) ValidateSynced(b *chain.Block, head *chain.SignedHeader, now time.Time) (*chain.VerifiedBlock, error) {
	h := v.History()
	e := h.At(b.Time)
	vb, err := chain.ValidateSynced(b, head, e.ChainMembers(), e.ChainParams(v.base), now)
	return vb, Judge(h, err, b.Issuer, b.Time)
}

// Judge turns a membership failure of issuer's block at t into
// chain.ErrMembershipUnsettled when h has not settled the membership at t;
// other errors, and nil, pass unchanged.
func Judge(h *History, err error, issuer chain.IssuerID, t time.Time) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, chain.ErrNotMember) && !h.Settled(t, issuer):
	case errors.Is(err, chain.ErrNoRole) && !h.SettledAll(t):
	default:
		return err
	}
	return fmt.Errorf("%w: %v", chain.ErrMembershipUnsettled, err)
}

// IsMemberAt reports whether id is a member at t.
func (v *View) IsMemberAt(id chain.IssuerID, t time.Time) bool {
	_, ok := v.At(t).Members[id]
	return ok
}

// Admitted reports whether id is a member at now or is to be by a
// proposal that has passed so far: the peers a member lets in for gossip
// and sync, so that a newcomer can sync before its activation.
func (v *View) Admitted(id chain.IssuerID, now time.Time) bool {
	h := v.History()
	if _, ok := h.At(now).Members[id]; ok {
		return true
	}
	for _, o := range h.outcomes {
		if o.Status != StatusPassed || !o.ActivateAt.After(now) {
			continue
		}
		if a := o.Body.GetAdmit(); a != nil && chain.IssuerID(a.Issuer) == id {
			return true
		}
		if r := o.Body.GetRotate(); r != nil && chain.IssuerID(r.NewIssuer) == id {
			return true
		}
	}
	return false
}

// Known reports whether id was ever a member or is named by a proposal
// held: an issuer whose chain a peer keeps (a removed member's history
// still verifies).
func (v *View) Known(id chain.IssuerID) bool { return v.History().Known(id) }

// Load records one decision entry of issuer's chain without computing the
// history again; Refresh does, once loading is done.
func (v *View) Load(issuer chain.IssuerID, blockTime time.Time, data []byte, e *chainpb.Entry) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.mu.log.Add(issuer, blockTime, data, e)
}

// LoadHead records the time of the newest block held of issuer's chain,
// as Load.
func (v *View) LoadHead(issuer chain.IssuerID, t time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.mu.log.SetHead(issuer, t)
}

// Refresh computes the history from what was loaded.
func (v *View) Refresh() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.mu.hist = Compute(v.g, v.mu.log)
}

// AddStored records a block that was stored, decoding only its decision
// entries (found by their first byte, the tag of the entry's body field).
// It reports whether the history changed.
func (v *View) AddStored(b *chain.Block, maxEntryBytes int) bool {
	vb := &chain.VerifiedBlock{Block: b, Decoded: make([]*chainpb.Entry, len(b.Entries))}
	for i, data := range b.Entries {
		if !MaybeDecision(data) {
			continue
		}
		if e, err := chain.DecodeEntry(data, maxEntryBytes); err == nil && IsDecision(e) {
			vb.Decoded[i] = e
		}
	}
	return v.AddBlock(vb)
}

// MaybeDecision reports whether an encoded entry may be a decision: its
// first byte is the tag of Entry.proposal (field 5) or Entry.approval
// (field 6), length-delimited. Deterministic encoding writes the body
// first.
func MaybeDecision(data []byte) bool {
	return len(data) > 0 && (data[0] == 5<<3|2 || data[0] == 6<<3|2)
}

// Everyone returns every key that was a member in any epoch held, with
// the roles of its latest epoch: whose headers and evidence verify.
func (v *View) Everyone() chain.Members {
	h := v.History()
	out := chain.Members{}
	for _, e := range h.epochs {
		for id, m := range e.Members {
			out[id] = m.Roles
		}
	}
	return out
}
