package chain

import "strings"

// Role is a set of the things a member may do, as bit flags. The genesis
// gives each member at least one.
type Role uint8

// The roles of members.
const (
	// RolePayments members write payment records (tax, social and medical
	// insurance authorities).
	RolePayments Role = 1 << iota
	// RoleCredit members publish credit events and answer credit queries,
	// recording a receipt for each.
	RoleCredit
	// RoleQuery members ask credit queries.
	RoleQuery

	// AllRoles is every role.
	AllRoles = RolePayments | RoleCredit | RoleQuery
)

// String names the roles in r, comma-separated, as the genesis spells them.
func (r Role) String() string {
	var names []string
	for _, x := range []struct {
		bit  Role
		name string
	}{{RolePayments, "payments"}, {RoleCredit, "credit"}, {RoleQuery, "query"}} {
		if r&x.bit != 0 {
			names = append(names, x.name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}

// Members is the set of institutions allowed to write chains, from the
// genesis, with the roles of each.
type Members map[IssuerID]Role

// NewMembers returns the set of the given issuers, each with every role.
func NewMembers(ids ...IssuerID) Members {
	m := make(Members, len(ids))
	for _, id := range ids {
		m[id] = AllRoles
	}
	return m
}

// Contains reports whether id is a member.
func (m Members) Contains(id IssuerID) bool {
	_, ok := m[id]
	return ok
}

// Has reports whether id is a member with every role in r.
func (m Members) Has(id IssuerID, r Role) bool {
	roles, ok := m[id]
	return ok && roles&r == r
}
