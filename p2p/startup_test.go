package p2p_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/p2p"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// A TCP port another program holds does not leave the peer on QUIC alone:
// it does not start, and the error names the address and the cause.
func TestListenPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	st, err := store.Open(t.TempDir(), store.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tcpAddr := ma.StringCast(fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", port))
	_, err = p2p.New(p2p.Config{
		Params: params(), GenesisHash: genesisHash, Members: members, Key: chaintest.Key(0), Store: st,
		ListenAddrs:    []ma.Multiaddr{tcpAddr, ma.StringCast("/ip4/127.0.0.1/udp/0/quic-v1")},
		StatusInterval: time.Second, Logger: testLogger(),
	})
	var le *p2p.ListenError
	if !errors.As(err, &le) || !le.Addr.Equal(tcpAddr) || !errors.Is(err, syscall.EADDRINUSE) ||
		!strings.Contains(err.Error(), "cannot listen on "+tcpAddr.String()) {
		t.Fatalf("got %v, want a ListenError on %s wrapping EADDRINUSE", err, tcpAddr)
	}
}

// A member banned for another genesis that comes back with ours is let in
// at once, and the ban is lifted with a line in the log; the mismatch is
// logged with both hashes and how to compare the files.
func TestGenesisBanLiftedWhenFixed(t *testing.T) {
	logs := &lineLog{}
	a := startPeer(t, 0, "", nil, func(c *p2p.Config) { c.Logger = slog.New(logs) })
	other := startPeer(t, 1, "", []peer.AddrInfo{a.info()}, func(c *p2p.Config) {
		c.GenesisHash = sha256.Sum256([]byte("another network"))
	})
	eventually(t, 10*time.Second, "the peer of another genesis is banned", func() bool {
		return logs.count("peer is on another genesis; disconnecting") > 0
	})
	if line := logs.first("peer is on another genesis"); !strings.Contains(line, fmt.Sprintf("our_genesis=%x", genesisHash)) ||
		!strings.Contains(line, "credmesh genesis show") {
		t.Errorf("mismatch log %q lacks our hash or the hint", line)
	}
	other.stop()

	fixed := startPeer(t, 1, "", []peer.AddrInfo{a.info()})
	eventually(t, 10*time.Second, "the fixed member's ban is lifted", func() bool {
		return logs.count("ban for another genesis is lifted") == 1
	})
	eventually(t, 10*time.Second, "the fixed member is connected", func() bool {
		return a.net.Host().Network().Connectedness(fixed.info().ID) == network.Connected
	})
	if n := logs.count("peer is on another genesis"); n != 1 {
		t.Errorf("the mismatch was logged %d times, want once", n)
	}
}

// lineLog is a slog handler that keeps the messages with their attributes.
type lineLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *lineLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *lineLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	l.lines = append(l.lines, b.String())
	l.mu.Unlock()
	return nil
}
func (l *lineLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *lineLog) WithGroup(string) slog.Handler      { return l }

// count counts the lines above debug holding s.
func (l *lineLog) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if strings.Contains(line, s) && !strings.HasPrefix(line, "DEBUG") {
			n++
		}
	}
	return n
}

func (l *lineLog) first(s string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}
