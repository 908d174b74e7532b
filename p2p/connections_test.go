package p2p_test

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/p2p/p2ppb"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// freeTCPAddr returns a loopback TCP address nothing listens on now.
func freeTCPAddr(t *testing.T) ma.Multiaddr {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return ma.StringCast(fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", l.Addr().(*net.TCPAddr).Port))
}

func tcpOnly(addr ma.Multiaddr) func(*p2p.Config) {
	return func(c *p2p.Config) { c.ListenAddrs = []ma.Multiaddr{addr} }
}

// Five members started at once, each given every member's address (as
// the genesis gives them), end with exactly one connection per pair.
func TestOneConnectionPerPairAtStart(t *testing.T) {
	const size = 5
	addrs := make([]ma.Multiaddr, size)
	boot := make([]peer.AddrInfo, size)
	for i := range size {
		addrs[i] = freeTCPAddr(t)
		id, err := peer.IDFromPublicKey(mustPub(t, i))
		if err != nil {
			t.Fatal(err)
		}
		boot[i] = peer.AddrInfo{ID: id, Addrs: []ma.Multiaddr{addrs[i]}}
	}
	peers := make([]*peerNode, size)
	var wg sync.WaitGroup
	for i := range size {
		wg.Add(1)
		go func() {
			defer wg.Done()
			peers[i] = startPeerNoFatal(t, i, boot, tcpOnly(addrs[i]))
		}()
	}
	wg.Wait()
	for i, p := range peers {
		if p == nil {
			t.Fatalf("member %d did not start", i)
		}
	}
	counts := func() string {
		s := ""
		for _, p := range peers {
			for _, q := range peers {
				if p != q {
					s += fmt.Sprint(len(p.net.Host().Network().ConnsToPeer(q.info().ID)))
				}
			}
			s += " "
		}
		return s
	}
	// Under -race beside other suites a keep-alive round can take seconds:
	// give the pairs the time they need, and say where they stand if not.
	onePerPair := func() bool {
		for _, p := range peers {
			for _, q := range peers {
				if p != q && len(p.net.Host().Network().ConnsToPeer(q.info().ID)) != 1 {
					return false
				}
			}
		}
		return true
	}
	for deadline := time.Now().Add(90 * time.Second); !onePerPair(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after 90s, connections per pair (row: a member, column: the others): %s; duplicates closed: %d", counts(), duplicatesClosed(peers))
		}
	}
	t.Logf("connections per pair: %s; duplicates closed: %d", counts(), duplicatesClosed(peers))
}

func duplicatesClosed(ps []*peerNode) uint64 {
	var n uint64
	for _, p := range ps {
		n += p.net.Stats().DuplicateConnections
	}
	return n
}

// proxy forwards TCP connections to a target until frozen; frozen, it
// forwards nothing more and closes nothing, as a host whose process or
// link died silently: no FIN, no RST.
type proxy struct {
	l      net.Listener
	mu     sync.Mutex
	target string
	frozen chan struct{}
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l, target: target, frozen: make(chan struct{})}
	t.Cleanup(p.close)
	go p.serve()
	return p
}

func (p *proxy) addr() ma.Multiaddr {
	return ma.StringCast(fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", p.l.Addr().(*net.TCPAddr).Port))
}

func (p *proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

// pipe copies src to dst until frozen; then it holds both open, silent.
func (p *proxy) pipe(src, dst net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-p.frozen:
			return // drop what was read, close nothing
		default:
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			select {
			case <-p.frozen:
			default:
				dst.Close()
			}
			return
		}
	}
}

func (p *proxy) freeze() { close(p.frozen) }

func (p *proxy) close() {
	p.l.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// A member reached through a link that goes silent (its process died and
// nothing closed the connection) is detected dead within the keep-alive
// interval (3 s here), and once it is back its peers dial it again.
// (With yamux's default keep-alive it would take 30 to 50 s.)
func TestSilentlyDeadMemberIsDetectedAndReachableAfterRestart(t *testing.T) {
	fast := func(c *p2p.Config) { c.KeepAlive = time.Second }
	bAddr := freeTCPAddr(t)
	b := startPeer(t, 1, "", nil, tcpOnly(bAddr), fast)
	target, err := manet.ToNetAddr(bAddr)
	if err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, target.String())
	a := startPeer(t, 0, "", []peer.AddrInfo{{ID: b.info().ID, Addrs: []ma.Multiaddr{px.addr()}}}, tcpOnly(freeTCPAddr(t)), fast)
	bID := b.info().ID
	eventually(t, 15*time.Second, "member 0 is connected to member 1 through the proxy", func() bool {
		cs := a.net.Host().Network().ConnsToPeer(bID)
		return len(cs) == 1 && cs[0].RemoteMultiaddr().Equal(px.addr())
	})

	px.freeze()
	b.stop()
	eventually(t, 15*time.Second, "member 0 closes the dead connection", func() bool {
		return len(a.net.Host().Network().ConnsToPeer(bID)) == 0
	})

	// Back at its address, knowing nobody: member 0 dials it again.
	b = startPeer(t, 1, "", nil, tcpOnly(bAddr), fast)
	// (Its first dial may try the dead link, which takes the dial timeout,
	// and member 0's redials back off, doubling from 1 s, while member 1
	// is down: on a loaded machine the next one can be half a minute away.)
	eventually(t, 90*time.Second, "member 0 is connected to the restarted member", func() bool {
		return a.net.Host().Network().Connectedness(bID) == network.Connected
	})
	if resp := syncRequest(t, a.net.Host(), b, chaintest.Issuer(1)); resp.Status != p2ppb.SyncStatus_SYNC_STATUS_NOT_FOUND {
		t.Fatalf("the restarted member answered %s, want NOT_FOUND (it holds nothing)", resp.Status)
	}
}

func mustPub(t *testing.T, key int) crypto.PubKey {
	t.Helper()
	sk, err := crypto.UnmarshalEd25519PrivateKey(chaintest.Key(key))
	if err != nil {
		t.Fatal(err)
	}
	return sk.GetPublic()
}

// startPeerNoFatal is startPeer for another goroutine than the test's: it
// reports a failure with t.Error and returns nil.
func startPeerNoFatal(t *testing.T, key int, bootstrap []peer.AddrInfo, edit ...func(*p2p.Config)) *peerNode {
	st, err := store.Open(t.TempDir(), store.Options{Logger: testLogger()})
	if err != nil {
		t.Error(err)
		return nil
	}
	cfg := p2p.Config{
		Params: params(), GenesisHash: genesisHash, Members: members, Key: chaintest.Key(key), Store: st,
		ListenAddrs: loopback(t), Bootstrap: bootstrap, StatusInterval: time.Second, Logger: testLogger(),
	}
	for _, e := range edit {
		e(&cfg)
	}
	n, err := p2p.New(cfg)
	if err != nil {
		st.Close()
		t.Error(err)
		return nil
	}
	p := &peerNode{t: t, key: key, st: st, net: n}
	t.Cleanup(p.stop)
	return p
}

// Of two live connections to one member, the keep-alive round closes the
// one dialled by the higher peer ID. (The second connection comes from a
// twin host with member 1's key: the only way to hold two at will.)
func TestSecondConnectionIsClosed(t *testing.T) {
	fast := func(c *p2p.Config) { c.KeepAlive = time.Second }
	b := startPeer(t, 1, "", nil, fast)
	a := startPeer(t, 0, "", []peer.AddrInfo{b.info()}, fast)
	bID := b.info().ID
	eventually(t, 10*time.Second, "member 0 dialled member 1", func() bool {
		cs := a.net.Host().Network().ConnsToPeer(bID)
		return len(cs) == 1 && cs[0].Stat().Direction == network.DirOutbound
	})
	sk, err := crypto.UnmarshalEd25519PrivateKey(chaintest.Key(1))
	if err != nil {
		t.Fatal(err)
	}
	twin, err := libp2p.New(libp2p.Identity(sk), libp2p.ListenAddrs(loopback(t)...))
	if err != nil {
		t.Fatal(err)
	}
	defer twin.Close()
	if err := twin.Connect(t.Context(), a.info()); err != nil {
		t.Fatal(err)
	}
	// Member 0's peer ID sorts below member 1's: the connection member 0
	// dialled stays, the twin's goes.
	if a.info().ID >= bID {
		t.Fatal("the test keys no longer sort as this test assumes")
	}
	eventually(t, 15*time.Second, "member 0 holds only the connection it dialled", func() bool {
		cs := a.net.Host().Network().ConnsToPeer(bID)
		return len(cs) == 1 && cs[0].Stat().Direction == network.DirOutbound
	})
	if a.net.Stats().DuplicateConnections != 1 {
		t.Fatalf("duplicates closed: %d, want 1", a.net.Stats().DuplicateConnections)
	}
}
