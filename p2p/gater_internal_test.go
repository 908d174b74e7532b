package p2p

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

func TestGaterGenesisBan(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	g := newGater(func() time.Time { return now })
	p, q := peer.ID("p"), peer.ID("q")

	if !g.banGenesis(p, time.Minute) {
		t.Fatal("first genesis ban is not fresh")
	}
	if g.banGenesis(p, time.Minute) {
		t.Fatal("a second genesis ban within the first is fresh: it would be logged again")
	}
	if g.allowed(p, false) || !g.allowed(p, true) {
		t.Fatal("a genesis ban must refuse our dials and let the peer dial us")
	}
	if !g.liftGenesisBan(p) || !g.allowed(p, false) || g.liftGenesisBan(p) {
		t.Fatal("lifting the genesis ban did not let the peer back in once")
	}

	// A ban for misbehaviour keeps the peer out both ways, is not turned
	// into a genesis ban, and is not lifted by a right genesis.
	g.ban(q, time.Minute)
	if g.banGenesis(q, time.Minute) || g.allowed(q, true) || g.liftGenesisBan(q) || g.allowed(q, true) {
		t.Fatal("a misbehaviour ban was weakened")
	}

	// An expired genesis ban makes the next one fresh.
	g.banGenesis(p, time.Minute)
	now = now.Add(2 * time.Minute)
	if !g.banGenesis(p, time.Minute) {
		t.Fatal("a genesis ban after the last one expired is not fresh")
	}
}
