package config

import (
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/governance"
	"github.com/credmesh/credmesh/internal/peerid"
)

// durationOrEmpty writes a zero duration as "" (left out of the file).
func durationOrEmpty(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// parseGovernanceParams reads and checks approval_threshold and
// activation_delay into p.
func parseGovernanceParams(p *GenesisParams, pj paramsJSON, bad func(field string, err error, format string, args ...any)) {
	p.ApprovalThreshold = pj.ApprovalThreshold
	if p.ApprovalThreshold < 0 || p.ApprovalThreshold > 1000 {
		bad("params.approval_threshold", nil, "%d is outside 0..1000 (0: a majority of the members)", p.ApprovalThreshold)
	}
	if pj.ActivationDelay == "" {
		return
	}
	d, err := time.ParseDuration(pj.ActivationDelay)
	switch {
	case err != nil:
		bad("params.activation_delay", err, "%q is not a duration such as \"24h\"", pj.ActivationDelay)
	case d < governance.MinActivationDelay || d > chain.MaxActivationDelay:
		bad("params.activation_delay", nil, "%s is outside 1s..2160h", d)
	default:
		p.ActivationDelay = d
	}
}

// Governance returns epoch 0 of the network's membership history: the
// genesis time, members and the parameters decisions may change.
func (g *Genesis) Governance() governance.Genesis {
	cp := g.ChainParams()
	out := governance.Genesis{Time: g.time, Params: governance.Params{
		Threshold:       g.params.ApprovalThreshold,
		ActivationDelay: cp.ActivationDelay,
		QueryFeeMinor:   cp.QueryFeeMinor,
		FeeCurrency:     cp.FeeCurrency,
	}}
	for _, m := range g.members {
		iss, err := peerid.Issuer(m.ID)
		if err != nil {
			continue // Validate refuses it; LoadGenesis never returns one
		}
		gm := governance.Member{Issuer: iss, Name: m.Name, Roles: m.ChainRoles()}
		for _, a := range m.Addrs {
			gm.Addrs = append(gm.Addrs, a.String())
		}
		out.Members = append(out.Members, gm)
	}
	return out
}

// MembershipView returns a governance.View of the genesis with no chains
// held yet: the caller feeds it every block it stores.
func (g *Genesis) MembershipView() *governance.View {
	return governance.NewView(g.Governance(), g.ChainParams())
}
