package p2p_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/p2p"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Members 0..5 are in the genesis; tests run honest peers on some of them
// and, where they need one, a rogue member on another.
const memberCount = 6

var (
	genesisHash = sha256.Sum256([]byte("p2p test genesis"))
	members     = chaintest.Members(memberCount)
)

func params() chain.Params { return chaintest.Params() }

type peerNode struct {
	t   *testing.T
	key int
	dir string
	st  *store.Store
	net *p2p.Network
}

func loopback(t testing.TB) []ma.Multiaddr {
	return []ma.Multiaddr{
		ma.StringCast("/ip4/127.0.0.1/tcp/0"),
		ma.StringCast("/ip4/127.0.0.1/udp/0/quic-v1"),
	}
}

func testLogger() *slog.Logger {
	level := slog.LevelError
	if os.Getenv("CREDMESH_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// startPeer runs member key with its store in dir (a new one if empty).
func startPeer(t *testing.T, key int, dir string, bootstrap []peer.AddrInfo, edit ...func(*p2p.Config)) *peerNode {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	st, err := store.Open(dir, store.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := p2p.Config{
		Params:         params(),
		GenesisHash:    genesisHash,
		Members:        members,
		Key:            chaintest.Key(key),
		Store:          st,
		ListenAddrs:    loopback(t),
		Bootstrap:      bootstrap,
		StatusInterval: time.Second,
		Logger:         testLogger(),
	}
	for _, e := range edit {
		e(&cfg)
	}
	n, err := p2p.New(cfg)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	p := &peerNode{t: t, key: key, dir: dir, st: st, net: n}
	t.Cleanup(p.stop)
	return p
}

func (p *peerNode) stop() {
	if p.net == nil {
		return
	}
	p.net.Close()
	p.st.Close()
	p.net = nil
}

func (p *peerNode) info() peer.AddrInfo { return p.net.AddrInfo() }

// seal appends count blocks of n payments each to the peer's own chain and
// publishes them, as the builder and node would.
func (p *peerNode) seal(ctx context.Context, blocks, perBlock int) {
	p.t.Helper()
	head := p.st.Head(chaintest.Issuer(p.key))
	first := 0
	if head != nil {
		first = int(head.Height) * perBlock
	}
	for _, b := range chaintest.BulkChain(p.key, head, first, blocks*perBlock, perBlock) {
		vb, err := chain.ValidateBlock(b, head, members, params(), time.Now())
		if err != nil {
			p.t.Fatal(err)
		}
		if err := p.st.AppendSealed([]*chain.VerifiedBlock{vb}, 0); err != nil {
			p.t.Fatal(err)
		}
		if err := p.net.Publish(ctx, b); err != nil {
			p.t.Fatal(err)
		}
		head = b.SignedHeader
	}
}

// eventually polls cond every 20 ms until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func heightOf(p *peerNode, issuer int) uint64 {
	h := p.st.Head(chaintest.Issuer(issuer))
	if h == nil {
		return 0
	}
	return h.Height
}

func describe(ps []*peerNode) string {
	s := ""
	for _, p := range ps {
		s += fmt.Sprintf(" %d:%d", p.key, len(p.net.ConnectedMembers()))
	}
	return s
}

// gossipOnly makes a block stored arrive by gossip or not at all: status is
// exchanged only on connection and on joining the topic (before anything is
// sealed), never on a tick that would start a sync, and a block that
// arrives before its parent waits for the parent by gossip instead of
// asking its sender by sync at once or after the default 250 ms.
func gossipOnly(c *p2p.Config) {
	c.StatusInterval = time.Hour
	c.OrphanWait = 30 * time.Second
	c.OrphanAsk = time.Hour
}

// awaitMeshes waits until every peer's blocks mesh holds size peers, so a
// block published from then on goes out at once instead of being lost to
// an empty mesh (gossipsub grafts on its heartbeat, once a second).
func awaitMeshes(t *testing.T, timeout time.Duration, size int, ps ...*peerNode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, p := range ps {
		if err := p.net.AwaitBlocksMesh(ctx, size); err != nil {
			t.Fatalf("member %d's blocks mesh did not reach %d peers within %s: %v", p.key, size, timeout, err)
		}
	}
}

// viaGossipOnly fails the test if a peer stored any block through sync.
func viaGossipOnly(t *testing.T, ps ...*peerNode) {
	t.Helper()
	for _, p := range ps {
		if s := p.net.Stats(); s.SyncedBlocks != 0 {
			t.Errorf("member %d stored %d blocks through sync; gossip must have delivered them", p.key, s.SyncedBlocks)
		}
	}
}
