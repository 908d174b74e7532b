package governance

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
)

// Status is what became of a proposal, as far as the chains held show.
type Status int

// The statuses of a proposal.
const (
	// StatusPassed: enough approvals before its activation; it opened an
	// epoch (or will, at an activation time still ahead).
	StatusPassed Status = iota + 1
	// StatusShort: too few approvals before its activation (or so far).
	StatusShort
	// StatusVoid: it cannot apply when its turn comes (its target is not
	// a member, its new key is taken or retired, a bad parameter, a
	// proposer who was not a member, an activation too soon after its
	// block), whatever its approvals.
	StatusVoid
)

// String names the status as the API shows it.
func (s Status) String() string {
	switch s {
	case StatusPassed:
		return "passed"
	case StatusShort:
		return "short"
	case StatusVoid:
		return "void"
	}
	return "unknown"
}

// Outcome is a proposal with what the rule made of it.
type Outcome struct {
	*Proposal
	Status Status
	// Reason says why a proposal is void.
	Reason string
	// Approvers are the members whose approval counted, proposer first,
	// then by key.
	Approvers []chain.IssuerID
	// Uncounted are approvals held that did not count: written at or
	// after the activation, by a member not in force at the activation,
	// or naming other proposal bytes.
	Uncounted []*Approval
	// Needed is how many approvals it needed (or needs).
	Needed int
	// Epoch is the number of the epoch it opened, when it passed.
	Epoch int
	// Unsettled is set when chains we do not hold in full could still
	// change the outcome: a member in force whose approval we lack has no
	// block we hold at or after the activation, or an earlier outcome is
	// unsettled.
	Unsettled bool
}

// Target returns the keys the proposal is about: the admitted, removed or
// rotated key and a rotation's new key; none for a parameter.
func (o *Outcome) Target() []chain.IssuerID { return targets(o.Body) }

func targets(p *chainpb.Proposal) []chain.IssuerID {
	switch c := p.Change.(type) {
	case *chainpb.Proposal_Admit:
		return []chain.IssuerID{chain.IssuerID(c.Admit.Issuer)}
	case *chainpb.Proposal_Remove:
		return []chain.IssuerID{chain.IssuerID(c.Remove.Issuer)}
	case *chainpb.Proposal_Rotate:
		return []chain.IssuerID{chain.IssuerID(c.Rotate.Issuer), chain.IssuerID(c.Rotate.NewIssuer)}
	}
	return nil
}

// History is the epochs and outcomes that a genesis and a Log imply.
type History struct {
	epochs   []*Epoch // by Start; epochs[0] is the genesis
	outcomes []*Outcome
	retired  map[chain.IssuerID]time.Time // keys removed or rotated away, from when
	ever     map[chain.IssuerID]bool      // keys that were a member, or a proposal's target
}

// Compute applies every proposal in l, in order of activation time,
// proposer key and proposal ID, to the genesis membership. It is a
// deterministic function of g and the entries and head times in l.
func Compute(g Genesis, l *Log) *History {
	e0 := &Epoch{Start: g.Time, Members: make(map[chain.IssuerID]Member, len(g.Members)), Params: g.Params}
	h := &History{epochs: []*Epoch{e0}, retired: map[chain.IssuerID]time.Time{}, ever: map[chain.IssuerID]bool{}}
	for _, m := range g.Members {
		m.Since = g.Time
		e0.Members[m.Issuer] = m
		h.ever[m.Issuer] = true
	}
	ps := make([]*Proposal, 0, len(l.proposals))
	for _, p := range l.proposals {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, compareProposals)
	tainted := false
	for _, p := range ps {
		for _, id := range targets(p.Body) {
			h.ever[id] = true
		}
		o := h.judge(p, l)
		if o.Unsettled {
			tainted = true
		}
		o.Unsettled = o.Unsettled || tainted
		h.outcomes = append(h.outcomes, o)
	}
	return h
}

func compareProposals(a, b *Proposal) int {
	if c := a.ActivateAt.Compare(b.ActivateAt); c != 0 {
		return c
	}
	if c := compareIssuers(a.Proposer, b.Proposer); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// judge decides p against the epochs so far, whose last is in force just
// before p's activation (proposals come in activation order), and appends
// the epoch it opens.
func (h *History) judge(p *Proposal, l *Log) *Outcome {
	cur := h.epochs[len(h.epochs)-1]
	o := &Outcome{Proposal: p, Needed: cur.Needed()}
	at := h.At(p.BlockTime)
	if _, ok := at.Members[p.Proposer]; !ok || p.BlockTime.Before(h.epochs[0].Start) {
		o.Status, o.Reason = StatusVoid, "its proposer was not a member when it proposed"
		return o
	}
	if lead := p.ActivateAt.Sub(p.BlockTime); lead < at.Params.ActivationDelay || lead <= 0 {
		o.Status, o.Reason = StatusVoid, "it activates sooner after its block than the activation delay "+at.Params.ActivationDelay.String()
		return o
	}
	// Count: the proposer, and every approval of these exact bytes in a
	// block before the activation by a member then and at the activation.
	counted := map[chain.IssuerID]bool{}
	if _, ok := cur.Members[p.Proposer]; ok {
		counted[p.Proposer] = true
		o.Approvers = append(o.Approvers, p.Proposer)
	}
	as := l.approvals[p.Ref]
	for _, id := range sortedKeys(as) {
		a := as[id]
		_, wasMember := h.At(a.BlockTime).Members[id]
		_, inForce := cur.Members[id]
		if a.Hash != p.Hash || !a.BlockTime.Before(p.ActivateAt) || !wasMember || !inForce || counted[id] {
			o.Uncounted = append(o.Uncounted, a)
			continue
		}
		counted[id] = true
		o.Approvers = append(o.Approvers, id)
	}
	next, reason := h.apply(cur, p)
	switch {
	case next == nil:
		o.Status, o.Reason = StatusVoid, reason
	case len(o.Approvers) >= o.Needed:
		o.Status = StatusPassed
		o.Epoch = next.Number
		h.epochs = append(h.epochs, next)
	default:
		o.Status = StatusShort
	}
	if o.Status == StatusShort {
		// Approvals we do not hold could still count: those of members in
		// force whose chain we hold only up to before the activation.
		for id := range cur.Members {
			if counted[id] {
				continue
			}
			if t, ok := l.Head(id); !ok || t.Before(p.ActivateAt) {
				o.Unsettled = true
				break
			}
		}
	}
	return o
}

// apply returns the epoch p opens from cur, or nil and why it cannot apply.
func (h *History) apply(cur *Epoch, p *Proposal) (*Epoch, string) {
	switch c := p.Body.Change.(type) {
	case *chainpb.Proposal_Admit:
		id := chain.IssuerID(c.Admit.Issuer)
		if _, ok := cur.Members[id]; ok {
			return nil, "the admitted key is already a member"
		}
		if _, ok := h.retired[id]; ok {
			return nil, "the admitted key was removed or rotated away, and is retired"
		}
		n := cur.next(p)
		n.Members[id] = Member{Issuer: id, Name: c.Admit.Name, Roles: chain.Role(c.Admit.Roles), Addrs: slices.Clone(c.Admit.Addrs), Since: p.ActivateAt}
		return n, ""
	case *chainpb.Proposal_Remove:
		id := chain.IssuerID(c.Remove.Issuer)
		if _, ok := cur.Members[id]; !ok {
			return nil, "the removed key is not a member"
		}
		if len(cur.Members) == 1 {
			return nil, "the last member cannot be removed"
		}
		n := cur.next(p)
		delete(n.Members, id)
		h.retired[id] = p.ActivateAt
		return n, ""
	case *chainpb.Proposal_Rotate:
		old, nk := chain.IssuerID(c.Rotate.Issuer), chain.IssuerID(c.Rotate.NewIssuer)
		m, ok := cur.Members[old]
		if !ok {
			return nil, "the rotated key is not a member"
		}
		if _, ok := cur.Members[nk]; ok {
			return nil, "the new key is already a member"
		}
		if _, ok := h.retired[nk]; ok {
			return nil, "the new key is retired"
		}
		n := cur.next(p)
		delete(n.Members, old)
		m.Issuer, m.Previous, m.Since = nk, old, p.ActivateAt
		if len(c.Rotate.Addrs) > 0 {
			m.Addrs = slices.Clone(c.Rotate.Addrs)
		}
		n.Members[nk] = m
		h.retired[old] = p.ActivateAt
		return n, ""
	case *chainpb.Proposal_Param:
		params, err := SetParam(cur.Params, c.Param.Name, c.Param.Value)
		if err != nil {
			return nil, err.Error()
		}
		n := cur.next(p)
		n.Params = params
		return n, ""
	}
	return nil, "unknown change"
}

func sortedKeys[V any](m map[chain.IssuerID]V) []chain.IssuerID {
	out := make([]chain.IssuerID, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, compareIssuers)
	return out
}

// At returns the epoch in force at t: the last whose Start is at or before
// t (epoch 0 before the genesis time too).
func (h *History) At(t time.Time) *Epoch {
	// Several decisions may activate at one time: the last epoch of
	// them is in force.
	i := sort.Search(len(h.epochs), func(i int) bool { return h.epochs[i].Start.After(t) })
	return h.epochs[max(i-1, 0)]
}

// Epochs returns every epoch, oldest first.
func (h *History) Epochs() []*Epoch { return slices.Clone(h.epochs) }

// Outcomes returns every proposal held with what became of it, in the
// order they were applied.
func (h *History) Outcomes() []*Outcome { return slices.Clone(h.outcomes) }

// Outcome returns what became of proposal r.
func (h *History) Outcome(r Ref) (*Outcome, bool) {
	for _, o := range h.outcomes {
		if o.Ref == r {
			return o, true
		}
	}
	return nil, false
}

// Retired reports whether id was removed or rotated away by t.
func (h *History) Retired(id chain.IssuerID, t time.Time) bool {
	at, ok := h.retired[id]
	return ok && !t.Before(at)
}

// Known reports whether id was ever a member or is named by a proposal
// held.
func (h *History) Known(id chain.IssuerID) bool { return h.ever[id] }

// Settled reports whether the membership of ids at t is final as far as
// any chain could show: no unsettled proposal activating at or before t is
// about any of them. A failure to find an issuer or role among the members
// at an unsettled time cannot be judged yet.
func (h *History) Settled(t time.Time, ids ...chain.IssuerID) bool {
	for _, o := range h.outcomes {
		if o.ActivateAt.After(t) {
			break
		}
		if !o.Unsettled {
			continue
		}
		for _, x := range o.Target() {
			if slices.Contains(ids, x) {
				return false
			}
		}
		if o.Body.GetParam() != nil && o.Status != StatusVoid {
			return false
		}
	}
	return true
}

// Pending returns the outcomes whose activation is after now, soonest
// first.
func (h *History) Pending(now time.Time) []*Outcome {
	var out []*Outcome
	for _, o := range h.outcomes {
		if o.ActivateAt.After(now) {
			out = append(out, o)
		}
	}
	return slices.SortedStableFunc(slices.Values(out), func(a, b *Outcome) int { return cmp.Compare(a.ActivateAt.UnixMilli(), b.ActivateAt.UnixMilli()) })
}

// SettledAll reports whether no unsettled proposal activates at or before
// t.
func (h *History) SettledAll(t time.Time) bool {
	for _, o := range h.outcomes {
		if o.ActivateAt.After(t) {
			break
		}
		if o.Unsettled {
			return false
		}
	}
	return true
}
