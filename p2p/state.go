package p2p

import (
	"sync"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/libp2p/go-libp2p/core/peer"
)

// state is the network's shared mutable state, under one lock: the
// evidence held and the fork probes under way (evidence.go, forkprobe.go),
// peer scores and penalties (score.go), bans (gater.go), the syncer's
// claims (sync_client.go) and the status exchanges being served
// (status_cap.go). Each concern's methods live in its file; a method that
// needs mu held ends in Locked, the others take it themselves.
//
// mu is a leaf lock held for map work only: never across network I/O, a
// store read or write, a log call or any other lock, and no callback runs
// under it. So the gater, which the swarm calls on every dial and accept,
// waits at most for one short map operation, and pubsub's score callback
// (under pubsub's own lock) cannot deadlock with us.
type state struct {
	mu sync.Mutex

	evidence map[chain.IssuerID]*chain.Evidence // issuers proven forked
	probing  map[chain.IssuerID]bool            // forks being probed

	scores    map[peer.ID]float64   // as pubsub last reported
	penalties map[peer.ID]time.Time // application penalty, until

	banned map[peer.ID]ban // who is kept out, why and until when

	wants map[chain.IssuerID]*want // chains to sync, with who claims what

	statusServed  map[peer.ID][]time.Time // inbound status exchanges admitted in the last window
	statusInbound map[peer.ID]int         // inbound status exchanges being served, per peer
	statusServing int                     // and in all
}

func newState() *state {
	return &state{
		evidence:      make(map[chain.IssuerID]*chain.Evidence),
		probing:       make(map[chain.IssuerID]bool),
		scores:        make(map[peer.ID]float64),
		penalties:     make(map[peer.ID]time.Time),
		banned:        make(map[peer.ID]ban),
		wants:         make(map[chain.IssuerID]*want),
		statusServed:  make(map[peer.ID][]time.Time),
		statusInbound: make(map[peer.ID]int),
	}
}
