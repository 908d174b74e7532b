package p2p_test

import (
	"bufio"
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/p2p/p2ppb"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/encoding/protodelim"
)

// Limits of the status cap (status_cap.go): per member, two exchanges
// served in any second.
const (
	statusPerWindow = 2
	statusWindow    = time.Second
)

// rawMember is a bare libp2p host with member key's identity: it speaks
// status only when the test makes it.
func rawMember(t *testing.T, key int, connect *peerNode) host.Host {
	t.Helper()
	sk, err := crypto.UnmarshalEd25519PrivateKey(chaintest.Key(key))
	if err != nil {
		t.Fatal(err)
	}
	h, err := libp2p.New(libp2p.Identity(sk), libp2p.ListenAddrs(loopback(t)...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	if err := h.Connect(t.Context(), connect.info()); err != nil {
		t.Fatal(err)
	}
	return h
}

// askStatus runs one status exchange with p as the opener, with an honest
// empty status, and reports whether p answered.
func askStatus(ctx context.Context, h host.Host, p peer.ID) bool {
	ctx, cancel := context.WithTimeout(ctx, p2p.StatusTimeout)
	defer cancel()
	s, err := h.NewStream(ctx, p, p2p.StatusProtocol(chaintest.NetworkID))
	if err != nil {
		return false
	}
	defer s.Close()
	if _, err := protodelim.MarshalTo(s, statusOf(nil)); err != nil {
		s.Reset()
		return false
	}
	s.CloseWrite()
	var theirs p2ppb.Status
	if err := protodelim.UnmarshalFrom(bufio.NewReader(s), &theirs); err != nil {
		s.Reset()
		return false
	}
	return string(theirs.GenesisHash) == string(genesisHash[:])
}

// A member that opens status streams as fast as it can, 200 at once or 200
// back to back, is answered at most twice per second; the rest are reset
// unread. The cap is a window, not a ban: once it has moved on the member
// is answered again, and another member's exchange is untouched.
func TestStatusFloodIsCapped(t *testing.T) {
	c := startPeer(t, 2, "", nil, func(c *p2p.Config) { c.StatusInterval = time.Hour })
	c.seal(t.Context(), 3, 2)
	flooder := rawMember(t, 4, c)
	// bound is the most answers a flood lasting d can get: a window holds
	// statusPerWindow, and d spans at most d/statusWindow + 2 windows.
	bound := func(d time.Duration) int64 { return statusPerWindow * (int64(d/statusWindow) + 2) }

	start := time.Now()
	var answered atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if askStatus(t.Context(), flooder, c.net.ID()) {
				answered.Add(1)
			}
		}()
	}
	wg.Wait()
	if got, max := answered.Load(), bound(time.Since(start)); got > max {
		t.Fatalf("200 status streams at once got %d answers; at most %d may be answered in %s", got, max, time.Since(start))
	}
	t.Logf("200 status streams at once: %d answered in %s", answered.Load(), time.Since(start))

	start = time.Now()
	answered.Store(0)
	for range 200 {
		if askStatus(t.Context(), flooder, c.net.ID()) {
			answered.Add(1)
		}
	}
	if got, max := answered.Load(), bound(time.Since(start)); got > max {
		t.Fatalf("200 status streams back to back got %d answers; at most %d may be answered in %s", got, max, time.Since(start))
	}
	t.Logf("200 status streams back to back: %d answered in %s", answered.Load(), time.Since(start))

	eventually(t, 10*time.Second, "the flooder is answered again once the window has moved on", func() bool {
		return askStatus(t.Context(), flooder, c.net.ID())
	})

	// An honest member starting now learns member 2's chain by status
	// (there is no tick, and the blocks were gossiped before it came) and
	// syncs it.
	late := startPeer(t, 3, "", []peer.AddrInfo{c.info()}, func(c *p2p.Config) { c.StatusInterval = time.Hour })
	eventually(t, 30*time.Second, "a member starting after the flood catches up by status and sync", func() bool {
		return heightOf(late, 2) == 3
	})
}
