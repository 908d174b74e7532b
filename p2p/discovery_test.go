package p2p_test

import (
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/p2p"
	"github.com/libp2p/go-libp2p/core/peer"
)

// A new member of a 30-member network, given one bootstrap address, finds
// every other member through the DHT. The time goes into
// docs/BENCHMARKS.md (target: 2 s on loopback); it is logged, not asserted.
func TestNewMemberFindsAThirtyPeerNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 30 peers; skipped with -short")
	}
	const size = 30
	many := chaintest.Members(size)
	withMany := func(c *p2p.Config) { c.Members = many }
	var peers []*peerNode
	for i := range size - 1 {
		var boot []peer.AddrInfo
		if i > 0 {
			boot = []peer.AddrInfo{peers[(i-1)/2].info()} // a tree: nobody knows everyone
		}
		peers = append(peers, startPeer(t, i, "", boot, withMany))
	}
	eventually(t, 60*time.Second, "29 members connected to each other", func() bool {
		for _, p := range peers {
			if len(p.net.ConnectedMembers()) < size-2 {
				return false
			}
		}
		return true
	})
	start := time.Now()
	late := startPeer(t, size-1, "", []peer.AddrInfo{peers[size-2].info()}, withMany)
	eventually(t, 30*time.Second, "the new member is connected to all 29", func() bool {
		return len(late.net.ConnectedMembers()) == size-1
	})
	t.Logf("a new member found all %d others in %s", size-1, time.Since(start).Round(time.Millisecond))
}
