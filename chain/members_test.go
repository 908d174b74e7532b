package chain_test

import (
	"errors"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
)

func TestMembersRoles(t *testing.T) {
	tax, bank := chaintest.Issuer(0), chaintest.Issuer(1)
	m := chain.Members{tax: chain.RolePayments | chain.RoleQuery, bank: chain.RoleCredit}
	for _, c := range []struct {
		id   chain.IssuerID
		r    chain.Role
		want bool
	}{
		{tax, chain.RolePayments, true},
		{tax, chain.RoleQuery, true},
		{tax, chain.RoleCredit, false},
		{tax, chain.RolePayments | chain.RoleQuery, true},
		{tax, chain.RolePayments | chain.RoleCredit, false},
		{bank, chain.RoleCredit, true},
		{bank, chain.RoleQuery, false},
		{chaintest.Issuer(2), chain.RolePayments, false},
	} {
		if got := m.Has(c.id, c.r); got != c.want {
			t.Errorf("Has(%s, %s) = %v, want %v", c.id.Short(), c.r, got, c.want)
		}
	}
	if !chain.NewMembers(tax).Has(tax, chain.AllRoles) {
		t.Error("NewMembers does not give every role")
	}
	if s := (chain.RolePayments | chain.RoleQuery).String(); s != "payments,query" {
		t.Errorf("String = %q", s)
	}
}

func TestParamsFee(t *testing.T) {
	for _, c := range []struct {
		fee      uint64
		currency string
		ok       bool
	}{
		{0, "", true},
		{0, "CNY", true},
		{500, "CNY", true},
		{500, "", false},
		{500, "cny", false},
		{500, "XYZ", false},
		{chain.MaxAmountMinor + 1, "CNY", false},
	} {
		p := chain.DefaultParams("net")
		p.QueryFeeMinor, p.FeeCurrency = c.fee, c.currency
		err := p.Validate()
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, chain.ErrParams)) {
			t.Errorf("fee %d %q: %v, want ok=%v", c.fee, c.currency, err, c.ok)
		}
	}
}
