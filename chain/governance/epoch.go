package governance

import (
	"maps"
	"slices"
	"time"

	"github.com/credmesh/credmesh/chain"
)

// Member is one institution of an epoch.
type Member struct {
	// Issuer is the key its chain is written under.
	Issuer chain.IssuerID
	// Name is its display name.
	Name string
	// Roles are what it may write and ask.
	Roles chain.Role
	// Addrs are its peer's multiaddrs (without /p2p/), as the genesis or
	// its admission or rotation gave them.
	Addrs []string
	// Since is when this key became a member: the genesis time, or the
	// activation of its admission or rotation.
	Since time.Time
	// Previous is the key this one replaced (zero if none).
	Previous chain.IssuerID
}

// Params are the parameters that decisions may change.
type Params struct {
	// Threshold is how many approvals a proposal needs: 0 means a majority
	// of the members in force (N/2+1); a larger number than the members in
	// force means all of them.
	Threshold int
	// ActivationDelay is the least time from a proposal's block to its
	// activation.
	ActivationDelay time.Duration
	// QueryFeeMinor and FeeCurrency are the credit-query fee every
	// receipt carries.
	QueryFeeMinor uint64
	FeeCurrency   string
}

// Needed returns how many approvals a proposal needs among n members.
func (p Params) Needed(n int) int {
	switch {
	case n <= 0:
		return 1
	case p.Threshold <= 0:
		return n/2 + 1
	case p.Threshold > n:
		return n
	}
	return p.Threshold
}

// Genesis is epoch 0: the genesis time, members and parameters.
type Genesis struct {
	Time    time.Time
	Members []Member
	Params  Params
}

// Epoch is a membership in force from Start until the next epoch's Start.
type Epoch struct {
	// Number counts epochs from 0, the genesis.
	Number int
	// Start is when the epoch begins: the genesis time, or the activation
	// time of the decision that opened it.
	Start time.Time
	// Members are the members in force, by key.
	Members map[chain.IssuerID]Member
	// Params are the parameters in force.
	Params Params
	// Decision is the proposal that opened the epoch; nil for epoch 0.
	Decision *Proposal
}

// ChainMembers returns the members with their roles, as chain validation
// takes them.
func (e *Epoch) ChainMembers() chain.Members {
	m := make(chain.Members, len(e.Members))
	for id, mb := range e.Members {
		m[id] = mb.Roles
	}
	return m
}

// ChainParams returns base with the parameters of the epoch.
func (e *Epoch) ChainParams(base chain.Params) chain.Params {
	base.ActivationDelay = e.Params.ActivationDelay
	base.QueryFeeMinor, base.FeeCurrency = e.Params.QueryFeeMinor, e.Params.FeeCurrency
	return base
}

// Sorted returns the members ordered by key.
func (e *Epoch) Sorted() []Member {
	keys := slices.SortedFunc(maps.Keys(e.Members), compareIssuers)
	out := make([]Member, len(keys))
	for i, k := range keys {
		out[i] = e.Members[k]
	}
	return out
}

// Needed returns how many approvals a proposal judged in this epoch needs.
func (e *Epoch) Needed() int { return e.Params.Needed(len(e.Members)) }

// next returns a copy of e to be changed by d, which activates at d's time.
func (e *Epoch) next(d *Proposal) *Epoch {
	n := &Epoch{Number: e.Number + 1, Start: d.ActivateAt, Members: maps.Clone(e.Members), Params: e.Params, Decision: d}
	return n
}

func compareIssuers(a, b chain.IssuerID) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}
