package p2p_test

import (
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/p2p"
	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// A new member of a 30-member network, given one bootstrap address, finds
// every other member through the DHT. The time goes into
// docs/BENCHMARKS.md (target: 2 s on loopback); it is logged, not asserted.
//
// Thirty peers under -race on a busy 2-core machine are slow to start, so
// the deadlines are minutes (they only bound a failure), the peers listen
// on TCP alone (QUIC adds a listener and its goroutines per peer and a
// second connection to race the first), and the waits wake on connection
// events rather than polling thirty peers every few milliseconds.
func TestNewMemberFindsAThirtyPeerNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 30 peers; skipped with -short")
	}
	const size = 30
	many := chaintest.Members(size)
	small := func(c *p2p.Config) {
		c.Members = many
		c.ListenAddrs = []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/0")}
	}
	var peers []*peerNode
	for i := range size - 1 {
		var boot []peer.AddrInfo
		if i > 0 {
			boot = []peer.AddrInfo{peers[(i-1)/2].info()} // a tree: nobody knows everyone
		}
		peers = append(peers, startPeer(t, i, "", boot, small))
	}
	start := time.Now()
	for _, p := range peers {
		awaitConnectedMembers(t, p, size-2, 4*time.Minute-time.Since(start))
	}
	t.Logf("29 members connected to each other %s after the last started", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	late := startPeer(t, size-1, "", []peer.AddrInfo{peers[size-2].info()}, small)
	awaitConnectedMembers(t, late, size-1, 2*time.Minute)
	t.Logf("a new member found all %d others in %s", size-1, time.Since(start).Round(time.Millisecond))
}

// awaitConnectedMembers waits until p is connected to at least want
// members, waking on each change of a connection.
func awaitConnectedMembers(t *testing.T, p *peerNode, want int, timeout time.Duration) {
	t.Helper()
	sub, err := p.net.Host().EventBus().Subscribe(new(event.EvtPeerConnectednessChanged))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		got := len(p.net.ConnectedMembers())
		if got >= want {
			return
		}
		select {
		case <-sub.Out():
		case <-deadline.C:
			t.Fatalf("member %d is connected to %d members after %s, want %d", p.key, got, timeout.Round(time.Second), want)
		}
	}
}
