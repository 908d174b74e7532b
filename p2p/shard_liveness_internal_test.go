package p2p

import (
	"slices"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
)

// TestWatchedMembersAreThoseAheadInNearbyOrders: a member pings exactly
// the members ahead of it in the orders of the chains it does not hold
// where it stands within watchDepth places after the first R, and
// nobody of the chains it holds or stands far behind in.
func TestWatchedMembersAreThoseAheadInNearbyOrders(t *testing.T) {
	const n, r = 30, 3
	members := chaintest.Members(n)
	for i := range n {
		self := chaintest.Issuer(i)
		s := newShard(members, r, self, time.Now())
		want := map[chain.IssuerID]bool{}
		for iss := range members {
			if iss == self {
				continue
			}
			o := s.pl.Order(iss)
			pos := slices.Index(o, self)
			if pos >= r && pos < r+watchDepth {
				for _, m := range o[:pos] {
					want[m] = true
				}
			}
		}
		got := s.watchedMembers()
		if len(got) != len(want) {
			t.Fatalf("member %d watches %d members, want %d", i, len(got), len(want))
		}
		for _, m := range got {
			if !want[m] || m == self {
				t.Fatalf("member %d watches %s, which is not ahead of it in a nearby order", i, m.Short())
			}
		}
		if len(got) > (r+watchDepth)*(r+watchDepth)*2 {
			t.Fatalf("member %d watches %d members: more than the bound", i, len(got))
		}
	}
}
