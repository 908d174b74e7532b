package p2p_test

import (
	"context"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Five members, each given one bootstrap address (the previous member's):
// every member finds every other through the DHT, and a block sealed by one
// is stored by all, by gossip: no status tick can start a sync, and no
// member stores a block through sync.
func TestFiveMembersDiscoverAndReplicate(t *testing.T) {
	ctx := context.Background()
	var peers []*peerNode
	start := time.Now()
	for i := range 5 {
		var boot []peer.AddrInfo
		if i > 0 {
			boot = []peer.AddrInfo{peers[i-1].info()}
		}
		peers = append(peers, startPeer(t, i, "", boot, gossipOnly))
	}
	eventually(t, 30*time.Second, "every member is connected to the four others", func() bool {
		for _, p := range peers {
			if len(p.net.ConnectedMembers()) < 4 {
				return false
			}
		}
		return true
	})
	t.Logf("five members found each other in %s", time.Since(start).Round(time.Millisecond))
	// Peer routing finds a member by ID alone (its addresses arrive with
	// identify, which may still be under way on a fresh connection).
	eventually(t, 10*time.Second, "FindPeer returns member 4's addresses", func() bool {
		fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ai, err := peers[0].net.FindPeer(fctx, peers[4].info().ID)
		return err == nil && len(ai.Addrs) > 0
	})

	awaitMeshes(t, 20*time.Second, 4, peers...)
	peers[2].seal(ctx, 3, 50)
	eventually(t, 20*time.Second, "every member stores member 2's three blocks", func() bool {
		for _, p := range peers {
			if heightOf(p, 2) != 3 {
				return false
			}
		}
		return true
	})
	viaGossipOnly(t, peers...)
	for _, p := range peers {
		if s := p.net.Stats(); p.key != 2 && s.BlocksStored != 3 {
			t.Errorf("member %d stored %d blocks from the network, want 3", p.key, s.BlocksStored)
		}
	}
	b, err := peers[4].st.Block(chaintest.Issuer(2), 2)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := peers[2].st.Block(chaintest.Issuer(2), 2)
	if b.Hash != orig.Hash {
		t.Fatal("replica holds a different block")
	}
}
