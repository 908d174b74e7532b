package p2p_test

import (
	"sync"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/p2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// meshTracer records which peers a rogue's gossipsub holds in its mesh, so
// a test can wait until a publish reaches them directly rather than sleep
// through a heartbeat.
type meshTracer struct {
	mu   sync.Mutex
	mesh map[peer.ID]bool
}

func newMeshTracer() *meshTracer { return &meshTracer{mesh: make(map[peer.ID]bool)} }

func (m *meshTracer) has(ps ...peer.ID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range ps {
		if !m.mesh[p] {
			return false
		}
	}
	return true
}

func (m *meshTracer) Graft(p peer.ID, _ string) {
	m.mu.Lock()
	m.mesh[p] = true
	m.mu.Unlock()
}

func (m *meshTracer) Prune(p peer.ID, _ string) {
	m.mu.Lock()
	delete(m.mesh, p)
	m.mu.Unlock()
}

func (m *meshTracer) RemovePeer(p peer.ID) { m.Prune(p, "") }

func (*meshTracer) AddPeer(peer.ID, protocol.ID)                         {}
func (*meshTracer) OnNewOutboundStream(peer.ID, protocol.ID)             {}
func (*meshTracer) OnClosedOutboundStream(peer.ID)                       {}
func (*meshTracer) Join(string)                                          {}
func (*meshTracer) Leave(string)                                         {}
func (*meshTracer) ValidateMessage(*pubsub.Message)                      {}
func (*meshTracer) DeliverMessage(*pubsub.Message)                       {}
func (*meshTracer) RejectMessage(*pubsub.Message, string)                {}
func (*meshTracer) DuplicateMessage(*pubsub.Message)                     {}
func (*meshTracer) ThrottlePeer(peer.ID)                                 {}
func (*meshTracer) RecvRPC(*pubsub.RPC)                                  {}
func (*meshTracer) SendRPC(*pubsub.RPC, peer.ID)                         {}
func (*meshTracer) SendRPCCompleted(*pubsub.RPC, peer.ID, time.Duration) {}
func (*meshTracer) DropRPC(*pubsub.RPC, peer.ID)                         {}
func (*meshTracer) UndeliverableMessage(*pubsub.Message)                 {}

// waitForMesh waits until the rogue's mesh holds every given peer: from
// then on its publish goes straight to them.
func (r *rogue) waitForMesh(t *testing.T, ps ...*peerNode) {
	t.Helper()
	ids := make([]peer.ID, len(ps))
	for i, p := range ps {
		ids[i] = p.info().ID
	}
	eventually(t, 15*time.Second, "the rogue's mesh holds the honest peers", func() bool { return r.mesh.has(ids...) })
}

// noStatusTicks leaves status to the exchanges on connection and on joining
// the topic, so a block that arrives later arrives by gossip or not at all.
func noStatusTicks(c *p2p.Config) { c.StatusInterval = time.Hour }

// A mesh peer forwards the genuine header of a block with other entries
// before the block itself reaches anyone. The forgery is rejected (its
// sender penalized), and the genuine block, arriving later, is still
// validated and stored by every honest peer, by gossip: its message ID is
// the hash of its whole bytes, not of its header, so the forgery did not
// mark it seen.
func TestCensoringMeshPeerCannotHideABlock(t *testing.T) {
	b := startPeer(t, 1, "", nil, noStatusTicks)
	c := startPeer(t, 2, "", []peer.AddrInfo{b.info()}, noStatusTicks)
	honest := []*peerNode{b, c}
	eventually(t, 10*time.Second, "the honest peers are connected", func() bool { return len(c.net.ConnectedMembers()) == 1 })
	// Member 0 publishes from a plain gossipsub host (it speaks neither
	// status nor sync, so nothing but gossip can deliver its block);
	// member 5 censors.
	issuer := newRogue(t, chaintest.Key(0), b, c)
	censor := newRogue(t, chaintest.Key(5), b, c)
	issuer.waitForMesh(t, b, c)
	censor.waitForMesh(t, b, c)

	genuine := chaintest.BulkChain(0, nil, 0, 4, 4)[0]
	forged := &chain.Block{SignedHeader: genuine.SignedHeader, Entries: [][]byte{
		genuine.Entries[1], genuine.Entries[0], genuine.Entries[2], genuine.Entries[3],
	}}
	censor.publish(t, forged)
	eventually(t, 10*time.Second, "both honest peers reject the forgery", func() bool {
		return b.net.Stats().BlocksRejected == 1 && c.net.Stats().BlocksRejected == 1
	})
	issuer.publish(t, genuine)
	eventually(t, 10*time.Second, "both honest peers store the genuine block", func() bool {
		return heightOf(b, 0) == 1 && heightOf(c, 0) == 1
	})
	for _, p := range honest {
		got, err := p.st.Block(chaintest.Issuer(0), 1)
		if err != nil || got.Hash != genuine.Hash {
			t.Fatalf("member %d holds %v (%v), want the genuine block", p.key, got, err)
		}
		if s := p.net.Stats(); s.SyncedBlocks != 0 {
			t.Fatalf("member %d synced %d blocks; the genuine block must arrive by gossip", p.key, s.SyncedBlocks)
		}
		eventually(t, 5*time.Second, "the censor's score is below zero", func() bool { return p.net.PeerScores()[censor.h.ID()] < 0 })
	}
}
