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
//
// It keeps, of each chain's order, only the first r + spare members (32
// bytes each): the whole orders would be 32·N² bytes, 3.2 GB at 10,000
// members. The rest of an order is ranked again when asked for (Order,
// Live past the prefix, full replication's Replicas).
type Placement struct {
	r        int
	members  []chain.IssuerID // sorted by key
	isMember map[chain.IssuerID]bool
	prefix   map[chain.IssuerID][]chain.IssuerID // per issuer: the first r + spare others, highest weight first (sharded only)
}

// spare is how many members past the first r each kept prefix has, so
// that Live rarely ranks an order again.
const spare = 16

// New ranks every member for every member's chain. r is the replication
// factor; it is clamped to 0..len(members)-1 (0 means every member holds
// every chain, and then every function answers accordingly).
func New(members chain.Members, r int) *Placement {
	ids := make([]chain.IssuerID, 0, len(members))
	set := make(map[chain.IssuerID]bool, len(members))
	for id := range members {
		ids = append(ids, id)
		set[id] = true
	}
	slices.SortFunc(ids, func(a, b chain.IssuerID) int { return bytes.Compare(a[:], b[:]) })
	r = max(0, min(r, len(ids)-1))
	p := &Placement{r: r, members: ids, isMember: set}
	if r > 0 {
		p.prefix = make(map[chain.IssuerID][]chain.IssuerID, len(ids))
		for _, iss := range ids {
			o := rank(iss, ids)
			p.prefix[iss] = slices.Clip(o[:min(len(o), r+spare)])
		}
	}
	return p
}

// order returns issuer's whole order (nil for a non-member).
func (p *Placement) order(issuer chain.IssuerID) []chain.IssuerID {
	if !p.isMember[issuer] {
		return nil
	}
	return rank(issuer, p.members)
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
	return p.order(issuer)
}

// Top returns the first k members of issuer's order (fewer if there are
// fewer), from the kept prefix when it is long enough.
func (p *Placement) Top(issuer chain.IssuerID, k int) []chain.IssuerID {
	if o := p.prefix[issuer]; k <= len(o) {
		return slices.Clone(o[:max(k, 0)])
	}
	o := p.order(issuer)
	return o[:min(max(k, 0), len(o))]
}

// Replicas returns the R members that hold issuer's chain by placement
// (every other member under full replication).
func (p *Placement) Replicas(issuer chain.IssuerID) []chain.IssuerID {
	if !p.Sharded() {
		return p.order(issuer)
	}
	o := p.prefix[issuer]
	return slices.Clone(o[:min(len(o), p.r)])
}

// Holders returns issuer followed by its replicas: the members a lookup
// of a record of issuer's asks, in that order.
func (p *Placement) Holders(issuer chain.IssuerID) []chain.IssuerID {
	if !p.isMember[issuer] {
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
	o := p.prefix[issuer]
	return slices.Contains(o[:min(len(o), p.r)], m)
}

// Live returns the first R members of issuer's order for which down is
// false: the replica set once the members that are down have been
// replaced by the next ones of the order. Fewer come back only when fewer
// than R members are up.
func (p *Placement) Live(issuer chain.IssuerID, down func(chain.IssuerID) bool) []chain.IssuerID {
	if !p.Sharded() {
		var out []chain.IssuerID
		for _, m := range p.order(issuer) {
			if !down(m) {
				out = append(out, m)
			}
		}
		return out
	}
	var out []chain.IssuerID
	o := p.prefix[issuer]
	for _, m := range o {
		if len(out) == p.r {
			return out
		}
		if !down(m) {
			out = append(out, m)
		}
	}
	if len(out) == p.r || len(o) == len(p.members)-1 {
		return out
	}
	// More than spare of the prefix are down: walk the rest of the order.
	for _, m := range p.order(issuer)[len(o):] {
		if len(out) == p.r {
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
