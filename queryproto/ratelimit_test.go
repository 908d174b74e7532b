package queryproto

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

func TestLimiterPerPeerAndShared(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	l := newLimiter(limits{peerRate: 2, peerBurst: 4, membersRate: 10, membersBurst: 6, clientsRate: 10, clientsBurst: 6}, t0)
	a, b, c := peer.ID("a"), peer.ID("b"), peer.ID("c")
	// a spends its burst of 4; the fifth request is refused.
	for i := range 4 {
		if !l.allow(a, false, t0) {
			t.Fatalf("request %d of a refused within its burst", i)
		}
	}
	if l.allow(a, false, t0) {
		t.Fatal("a went past its burst")
	}
	// b takes the clients' last two tokens; c finds their bucket empty.
	if !l.allow(b, false, t0) || !l.allow(b, false, t0) {
		t.Fatal("b refused while the clients' bucket held tokens")
	}
	if l.allow(c, false, t0) {
		t.Fatal("c was granted a request past the clients' burst")
	}
	// Half a second later a has earned one token, the clients' bucket five.
	t1 := t0.Add(500 * time.Millisecond)
	if !l.allow(a, false, t1) || l.allow(a, false, t1) {
		t.Fatal("a did not earn exactly one token in 500 ms at 2/s")
	}
	if !l.allow(c, false, t1) {
		t.Fatal("c refused after the clients' bucket refilled")
	}
	// Time going backwards earns nothing and breaks nothing.
	if l.allow(a, false, t0) {
		t.Fatal("a earned a token from a clock going back")
	}
}

// Clients spending their whole shared budget leave the members' untouched,
// and members spending theirs leave the clients'.
func TestLimiterMembersApartFromClients(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	l := newLimiter(limits{peerRate: 1, peerBurst: 2, membersRate: 1, membersBurst: 3, clientsRate: 1, clientsBurst: 5}, t0)
	granted := 0
	for i := range 100 { // a hundred fresh client peer IDs
		if l.allow(peer.ID(rune('A'+i)), false, t0) {
			granted++
		}
	}
	if granted != 5 {
		t.Fatalf("clients were granted %d requests, want the clients' burst of 5", granted)
	}
	m1, m2 := peer.ID("member-1"), peer.ID("member-2")
	if !l.allow(m1, true, t0) || !l.allow(m1, true, t0) {
		t.Fatal("a member refused with the clients' bucket empty")
	}
	if l.allow(m1, true, t0) {
		t.Fatal("a member went past its own burst")
	}
	if !l.allow(m2, true, t0) {
		t.Fatal("another member refused within the members' burst")
	}
	if l.allow(m2, true, t0) {
		t.Fatal("a member was granted a request past the members' burst")
	}
	// One second later each shared bucket earned one token.
	t1 := t0.Add(time.Second)
	if !l.allow(peer.ID("fresh client"), false, t1) || l.allow(peer.ID("another client"), false, t1) {
		t.Fatal("the clients' bucket did not earn exactly one token")
	}
	if !l.allow(m2, true, t1) {
		t.Fatal("the members' bucket did not refill")
	}
}

func TestLimiterForgetsIdlePeers(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	l := newLimiter(limits{peerRate: 100, peerBurst: 100, membersRate: 1e9, membersBurst: 1e9, clientsRate: 1e9, clientsBurst: 1e9}, t0)
	for i := range sweepEvery - 1 {
		l.allow(peer.ID(rune(i)), false, t0)
	}
	if len(l.peers) != sweepEvery-1 {
		t.Fatalf("%d buckets, want %d", len(l.peers), sweepEvery-1)
	}
	l.allow("x", false, t0.Add(time.Minute)) // the sweep runs on this call
	if len(l.peers) > 1 {
		t.Fatalf("%d buckets after the sweep, want at most 1", len(l.peers))
	}
}
