package placement

import (
	"bytes"
	"crypto/sha256"
	"slices"

	"github.com/credmesh/credmesh/chain"
)

// domain separates placement weights from every other hash of member IDs.
const domain = "credmesh/placement/1\x00"

// Placement is the rendezvous order of every member for every chain of
// one genesis. It is immutable and safe for concurrent use.
type Placement struct {
	r       int
	members []chain.IssuerID                    // sorted by key
	order   map[chain.IssuerID][]chain.IssuerID // per issuer: the other members, highest weight first
}

// New ranks every member for every member's chain. r is the replication
// factor; it is clamped to 0..len(members)-1 (0 means every member holds
// every chain, and then every function answers accordingly).
func New(members chain.Members, r int) *Placement {
	ids := make([]chain.IssuerID, 0, len(members))
	for id := range members {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b chain.IssuerID) int { return bytes.Compare(a[:], b[:]) })
	r = max(0, min(r, len(ids)-1))
	p := &Placement{r: r, members: ids, order: make(map[chain.IssuerID][]chain.IssuerID, len(ids))}
	for _, iss := range ids {
		p.order[iss] = rank(iss, ids)
	}
	return p
}

// Weight is member m's rendezvous weight for issuer's chain.
func Weight(issuer, m chain.IssuerID) [32]byte {
	var buf [len(domain) + 2*len(chain.IssuerID{})]byte
	n := copy(buf[:], domain)
	n += copy(buf[n:], issuer[:])
	copy(buf[n:], m[:])
	return sha256.Sum256(buf[:])
}

// rank returns the members other than issuer, highest weight first (ties,
// which SHA-256 makes unreachable, by key).
func rank(issuer chain.IssuerID, ids []chain.IssuerID) []chain.IssuerID {
	type weighted struct {
		id chain.IssuerID
		w  [32]byte
	}
	ws := make([]weighted, 0, len(ids))
	for _, m := range ids {
		if m != issuer {
			ws = append(ws, weighted{m, Weight(issuer, m)})
		}
	}
	slices.SortFunc(ws, func(a, b weighted) int {
		if c := bytes.Compare(b.w[:], a.w[:]); c != 0 {
			return c
		}
		return bytes.Compare(a.id[:], b.id[:])
	})
	out := make([]chain.IssuerID, len(ws))
	for i, w := range ws {
		out[i] = w.id
	}
	return out
}

// Sharded reports whether chains are held by R replicas rather than by
// every member.
func (p *Placement) Sharded() bool { return p.r > 0 }

// R is the replication factor after clamping (0: full replication).
func (p *Placement) R() int { return p.r }

// Members returns every member, sorted by key.
func (p *Placement) Members() []chain.IssuerID { return slices.Clone(p.members) }

// Order returns the other members in issuer's rendezvous order, or nil
// when issuer is not a member.
func (p *Placement) Order(issuer chain.IssuerID) []chain.IssuerID {
	return slices.Clone(p.order[issuer])
}

// Replicas returns the R members that hold issuer's chain by placement
// (every other member under full replication).
func (p *Placement) Replicas(issuer chain.IssuerID) []chain.IssuerID {
	o := p.order[issuer]
	if !p.Sharded() {
		return slices.Clone(o)
	}
	return slices.Clone(o[:p.r])
}

// Holders returns issuer followed by its replicas: the members a lookup
// of a record of issuer's asks, in that order.
func (p *Placement) Holders(issuer chain.IssuerID) []chain.IssuerID {
	if _, ok := p.order[issuer]; !ok {
		return nil
	}
	return append([]chain.IssuerID{issuer}, p.Replicas(issuer)...)
}

// Holds reports whether member m holds issuer's chain by placement: its
// own, every chain under full replication, or one it is a replica of.
func (p *Placement) Holds(m, issuer chain.IssuerID) bool {
	if m == issuer || !p.Sharded() {
		return true
	}
	return slices.Contains(p.order[issuer][:p.r], m)
}

// Live returns the first R members of issuer's order for which down is
// false: the replica set once the members that are down have been
// replaced by the next ones of the order. Fewer come back only when fewer
// than R members are up.
func (p *Placement) Live(issuer chain.IssuerID, down func(chain.IssuerID) bool) []chain.IssuerID {
	var out []chain.IssuerID
	want := p.r
	if !p.Sharded() {
		want = len(p.order[issuer])
	}
	for _, m := range p.order[issuer] {
		if len(out) == want {
			break
		}
		if !down(m) {
			out = append(out, m)
		}
	}
	return out
}

// Chains returns the issuers whose chains m holds by placement, m's own
// first, then the others sorted by key.
func (p *Placement) Chains(m chain.IssuerID) []chain.IssuerID {
	out := []chain.IssuerID{m}
	for _, iss := range p.members {
		if iss != m && p.Holds(m, iss) {
			out = append(out, iss)
		}
	}
	return out
}
