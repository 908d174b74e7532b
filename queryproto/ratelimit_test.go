package queryproto

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

func TestLimiterPerPeerAndGlobal(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	l := newLimiter(2, 4, 10, 6, t0)
	a, b, c := peer.ID("a"), peer.ID("b"), peer.ID("c")
	// a spends its burst of 4; the fifth request is refused.
	for i := range 4 {
		if !l.allow(a, t0) {
			t.Fatalf("request %d of a refused within its burst", i)
		}
	}
	if l.allow(a, t0) {
		t.Fatal("a went past its burst")
	}
	// b takes the last two global tokens; c finds the global bucket empty.
	if !l.allow(b, t0) || !l.allow(b, t0) {
		t.Fatal("b refused while the global bucket held tokens")
	}
	if l.allow(c, t0) {
		t.Fatal("c was granted a request past the global burst")
	}
	// Half a second later a has earned one token, the global bucket five.
	t1 := t0.Add(500 * time.Millisecond)
	if !l.allow(a, t1) || l.allow(a, t1) {
		t.Fatal("a did not earn exactly one token in 500 ms at 2/s")
	}
	if !l.allow(c, t1) {
		t.Fatal("c refused after the global bucket refilled")
	}
	// Time going backwards earns nothing and breaks nothing.
	if l.allow(a, t0) {
		t.Fatal("a earned a token from a clock going back")
	}
}

func TestLimiterForgetsIdlePeers(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	l := newLimiter(100, 100, 1e9, 1e9, t0)
	for i := range sweepEvery - 1 {
		l.allow(peer.ID(rune(i)), t0)
	}
	if len(l.peers) != sweepEvery-1 {
		t.Fatalf("%d buckets, want %d", len(l.peers), sweepEvery-1)
	}
	l.allow("x", t0.Add(time.Minute)) // the sweep runs on this call
	if len(l.peers) > 1 {
		t.Fatalf("%d buckets after the sweep, want at most 1", len(l.peers))
	}
}
