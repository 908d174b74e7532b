package p2p

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// The status cap counts per member in a sliding window and in flight, and
// in all in flight; a refused exchange leaves no trace.
func TestStatusCap(t *testing.T) {
	st := newState()
	a, b := peer.ID("a"), peer.ID("b")
	t0 := time.Unix(1000, 0)
	if !st.admitStatus(a, t0) || !st.admitStatus(a, t0.Add(time.Millisecond)) {
		t.Fatal("the first two exchanges of a member are refused")
	}
	if st.admitStatus(a, t0.Add(2*time.Millisecond)) {
		t.Fatal("a third exchange within a second is served")
	}
	st.statusDone(a)
	st.statusDone(a)
	if st.admitStatus(a, t0.Add(999*time.Millisecond)) {
		t.Fatal("a third exchange within a second is served once the first two ended")
	}
	if !st.admitStatus(a, t0.Add(time.Second)) {
		t.Fatal("an exchange a second after the first is refused")
	}
	st.statusDone(a)

	// Two at once per member, even across windows.
	later := t0.Add(time.Hour)
	if !st.admitStatus(b, later) || !st.admitStatus(b, later.Add(time.Millisecond)) {
		t.Fatal("b's first two are refused")
	}
	if st.admitStatus(b, later.Add(5*time.Second)) {
		t.Fatal("a third exchange of b is served while two are in flight")
	}
	st.statusDone(b)
	if !st.admitStatus(b, later.Add(5*time.Second)) {
		t.Fatal("b is refused after one of its exchanges ended")
	}
	st.statusDone(b)
	st.statusDone(b)

	// maxStatusServing in all.
	for i := range maxStatusServing {
		if !st.admitStatus(peer.ID(rune('A'+i)), later) {
			t.Fatalf("exchange %d of %d distinct members is refused", i+1, maxStatusServing)
		}
	}
	if st.admitStatus(peer.ID("z"), later) {
		t.Fatalf("exchange %d in flight is served", maxStatusServing+1)
	}
	st.statusDone(peer.ID('A'))
	if !st.admitStatus(peer.ID("z"), later) {
		t.Fatal("refused after one ended")
	}
	if len(st.statusInbound) != maxStatusServing {
		t.Fatalf("%d members in flight recorded, want %d", len(st.statusInbound), maxStatusServing)
	}
}
