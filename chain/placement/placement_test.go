package placement

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"testing"

	"github.com/credmesh/credmesh/chain"
)

// members returns n member IDs derived from a label (no keys needed:
// placement reads IDs only).
func members(label string, n int) chain.Members {
	m := make(chain.Members, n)
	for i := range n {
		m[chain.IssuerID(sha256.Sum256(fmt.Appendf(nil, "%s-%d", label, i)))] = chain.AllRoles
	}
	return m
}

func TestPlacementIsDeterministic(t *testing.T) {
	ms := members("det", 50)
	a, b := New(ms, 5), New(ms, 5)
	for iss := range ms {
		if !slices.Equal(a.Replicas(iss), b.Replicas(iss)) {
			t.Fatalf("two placements of one genesis differ for %s", iss.Short())
		}
		if got := a.Replicas(iss); len(got) != 5 || slices.Contains(got, iss) {
			t.Fatalf("replicas of %s: %d, issuer among them %v", iss.Short(), len(got), slices.Contains(got, iss))
		}
		h := a.Holders(iss)
		if h[0] != iss || len(h) != 6 {
			t.Fatalf("holders of %s start with %s, %d of them", iss.Short(), h[0].Short(), len(h))
		}
	}
}

// TestPlacementIsBalanced: each member's count of other chains held is,
// by rendezvous hashing, close to a Poisson count of mean R (the hash of
// each pair is independent): the mean is R exactly, the spread about
// sqrt(R), and the busiest member holds at most three times the mean. A
// member holding none but its own is possible (e^-R of them) and harmless.
func TestPlacementIsBalanced(t *testing.T) {
	for _, tc := range []struct{ n, r int }{{100, 5}, {1000, 5}, {30, 3}} {
		ms := members(fmt.Sprint("bal", tc.n), tc.n)
		p := New(ms, tc.r)
		load := map[chain.IssuerID]int{}
		for iss := range ms {
			for _, m := range p.Replicas(iss) {
				load[m]++
			}
		}
		lo, hi, sum, sq := tc.n, 0, 0, 0.0
		for m := range ms {
			lo, hi, sum = min(lo, load[m]), max(hi, load[m]), sum+load[m]
			d := float64(load[m] - tc.r)
			sq += d * d
			if got := len(p.Chains(m)) - 1; got != load[m] {
				t.Fatalf("Chains(%s) lists %d others, Replicas counted %d", m.Short(), got, load[m])
			}
		}
		variance := sq / float64(tc.n)
		t.Logf("%d members, R = %d: each holds %d to %d other chains (mean %d, variance %.2f)", tc.n, tc.r, lo, hi, tc.r, variance)
		if sum != tc.n*tc.r {
			t.Errorf("%d members, R = %d: %d placements, want %d", tc.n, tc.r, sum, tc.n*tc.r)
		}
		if hi > 3*tc.r || variance > 2*float64(tc.r) {
			t.Errorf("%d members, R = %d: load %d..%d, variance %.2f: not balanced around %d", tc.n, tc.r, lo, hi, variance, tc.r)
		}
	}
}

// TestRemovingAMemberMovesOnlyItsChains: a genesis without one member
// places every chain that member did not hold exactly as before; each
// chain it held gains the next member of that chain's order.
func TestRemovingAMemberMovesOnlyItsChains(t *testing.T) {
	ms := members("rm", 40)
	before := New(ms, 4)
	var gone chain.IssuerID
	for id := range ms {
		gone = id
		break
	}
	fewer := make(chain.Members)
	for id, r := range ms {
		if id != gone {
			fewer[id] = r
		}
	}
	after := New(fewer, 4)
	for iss := range fewer {
		was, now := before.Replicas(iss), after.Replicas(iss)
		if !slices.Contains(was, gone) {
			if !slices.Equal(was, now) {
				t.Fatalf("chain %s moved though %s did not hold it: %v -> %v", iss.Short(), gone.Short(), was, now)
			}
			continue
		}
		want := slices.DeleteFunc(slices.Clone(was), func(m chain.IssuerID) bool { return m == gone })
		want = append(want, before.Order(iss)[4])
		if !slices.Equal(want, now) {
			t.Fatalf("chain %s: replicas %v, want %v", iss.Short(), now, want)
		}
	}
}

func TestLiveReplacesDownMembersInOrder(t *testing.T) {
	ms := members("live", 20)
	p := New(ms, 3)
	for iss := range ms {
		o := p.Order(iss)
		down := map[chain.IssuerID]bool{o[0]: true, o[2]: true}
		got := p.Live(iss, func(m chain.IssuerID) bool { return down[m] })
		if want := []chain.IssuerID{o[1], o[3], o[4]}; !slices.Equal(got, want) {
			t.Fatalf("live replicas of %s with two down: %v, want %v", iss.Short(), got, want)
		}
		all := p.Live(iss, func(chain.IssuerID) bool { return true })
		if len(all) != 0 {
			t.Fatalf("every member down: %d live", len(all))
		}
	}
}

func TestFullReplicationAndClamping(t *testing.T) {
	ms := members("full", 6)
	full := New(ms, 0)
	if full.Sharded() {
		t.Fatal("R = 0 is sharded")
	}
	for iss := range ms {
		for m := range ms {
			if !full.Holds(m, iss) {
				t.Fatalf("under full replication %s does not hold %s", m.Short(), iss.Short())
			}
		}
		if len(full.Replicas(iss)) != 5 {
			t.Fatalf("full replication: %d replicas of 6 members' chain", len(full.Replicas(iss)))
		}
	}
	if got := New(ms, 99).R(); got != 5 {
		t.Fatalf("R = 99 over 6 members clamps to %d, want 5", got)
	}
	if got := New(ms, -1).R(); got != 0 {
		t.Fatalf("R = -1 clamps to %d, want 0", got)
	}
	var stranger chain.IssuerID
	if New(ms, 2).Holders(stranger) != nil || New(ms, 2).Holds(stranger, stranger) != true {
		t.Fatal("a non-member has holders")
	}
}

// TestLivePastTheKeptPrefix: with more members down than the prefix a
// placement keeps of each order, Live still returns the first R members
// of the whole order that are up.
func TestLivePastTheKeptPrefix(t *testing.T) {
	ms := members("deep", 60)
	p := New(ms, 3)
	for iss := range ms {
		o := p.Order(iss)
		if len(o) != 59 || o[0] != p.Replicas(iss)[0] {
			t.Fatalf("order of %s: %d members, first %s, replicas %v", iss.Short(), len(o), o[0].Short(), p.Replicas(iss))
		}
		down := map[chain.IssuerID]bool{}
		for _, m := range o[:3+spare+2] {
			down[m] = true
		}
		got := p.Live(iss, func(m chain.IssuerID) bool { return down[m] })
		if want := o[3+spare+2 : 3+spare+5]; !slices.Equal(got, want) {
			t.Fatalf("live replicas of %s with %d down: %v, want %v", iss.Short(), len(down), got, want)
		}
	}
}

func TestTopIsTheOrdersStart(t *testing.T) {
	ms := members("top", 40)
	p := New(ms, 2)
	for iss := range ms {
		o := p.Order(iss)
		for _, k := range []int{0, 1, 2, 2 + spare, 3 + spare, 39, 50} {
			if got := p.Top(iss, k); !slices.Equal(got, o[:min(k, len(o))]) {
				t.Fatalf("Top(%s, %d) = %v, want the order's first %d", iss.Short(), k, got, k)
			}
		}
	}
}
