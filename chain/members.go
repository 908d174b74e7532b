package chain

// Members is the set of institutions allowed to write chains, from the
// genesis.
type Members map[IssuerID]struct{}

// NewMembers returns the set of the given issuers.
func NewMembers(ids ...IssuerID) Members {
	m := make(Members, len(ids))
	for _, id := range ids {
		m[id] = struct{}{}
	}
	return m
}

// Contains reports whether id is a member.
func (m Members) Contains(id IssuerID) bool {
	_, ok := m[id]
	return ok
}
