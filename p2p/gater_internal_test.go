package p2p

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

func TestGaterGenesisBan(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	g := &gater{st: newState(), now: func() time.Time { return now }}
	st := g.st
	p, q := peer.ID("p"), peer.ID("q")

	if !st.banGenesis(p, now, now.Add(time.Minute)) {
		t.Fatal("first genesis ban is not fresh")
	}
	if st.banGenesis(p, now, now.Add(time.Minute)) {
		t.Fatal("a second genesis ban within the first is fresh: it would be logged again")
	}
	if g.allowed(p, false) || !g.allowed(p, true) {
		t.Fatal("a genesis ban must refuse our dials and let the peer dial us")
	}
	if !st.liftGenesisBan(p, now) || !g.allowed(p, false) || st.liftGenesisBan(p, now) {
		t.Fatal("lifting the genesis ban did not let the peer back in once")
	}

	// A ban for misbehaviour keeps the peer out both ways, is not turned
	// into a genesis ban, and is not lifted by a right genesis.
	st.ban(q, now.Add(time.Minute))
	if st.banGenesis(q, now, now.Add(time.Minute)) || g.allowed(q, true) || st.liftGenesisBan(q, now) || g.allowed(q, true) {
		t.Fatal("a misbehaviour ban was weakened")
	}

	// An expired genesis ban makes the next one fresh.
	st.banGenesis(p, now, now.Add(time.Minute))
	now = now.Add(2 * time.Minute)
	if !st.banGenesis(p, now, now.Add(time.Minute)) {
		t.Fatal("a genesis ban after the last one expired is not fresh")
	}
}
