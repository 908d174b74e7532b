package p2p_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/p2p/p2ppb"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/encoding/protodelim"
)

// p2pFrame marks a stack frame of this package's code.
const p2pFrame = "github.com/credmesh/credmesh/p2p."

// trackedEpilogue ends the name of Network.goTracked's goroutine, the only
// frame of ours left once the function it ran has returned: the goroutine
// has told the WaitGroup it is done and is on its way out.
const trackedEpilogue = ".goTracked.func1"

// p2pStack is a goroutine's stack cut to this package's frames, innermost
// first; ours is set when the goroutine's entry function is of this
// package (we started it), not when a goroutine of libp2p calls our code.
type p2pStack struct {
	frames []string
	ours   bool
}

// labelledP2PStacks returns the stacks of the goroutines labelled net=name
// that run this package's code. Goroutines inherit their creator's labels,
// so a Network created under the label marks every goroutine it starts,
// and every goroutine those start, and no goroutine of another Network.
func labelledP2PStacks(t *testing.T, name string) []p2pStack {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		t.Fatal(err)
	}
	want := `"net":"` + name + `"`
	var out []p2pStack
	// debug=1: one record per distinct stack, "N @ pcs", an optional
	// "# labels: {...}" line, then "#\tpc\tfunc+off\tfile:line" frames;
	// records are separated by blank lines.
	for _, rec := range strings.Split(buf.String(), "\n\n") {
		labelled := false
		var frames []string
		entry := "" // the outermost frame that is not the runtime's
		count := 0
		for i, line := range strings.Split(rec, "\n") {
			if i == 0 {
				if _, err := fmt.Sscan(line, &count); err != nil {
					count = 0
				}
				continue
			}
			if strings.HasPrefix(line, "# labels:") {
				labelled = strings.Contains(line, want)
				continue
			}
			f := strings.Fields(line)
			if len(f) < 3 || f[0] != "#" {
				continue
			}
			fn, _, _ := strings.Cut(f[2], "+")
			if !strings.HasPrefix(fn, "runtime.") {
				entry = fn
			}
			if strings.HasPrefix(fn, p2pFrame) {
				frames = append(frames, fn)
			}
		}
		if labelled && len(frames) > 0 {
			for range max(count, 1) {
				out = append(out, p2pStack{frames, strings.HasPrefix(entry, p2pFrame)})
			}
		}
	}
	return out
}

// Close stops every goroutine the network started: status exchanges, the
// reader of topic joins, dials, sync workers and fork probes included.
// When Close returns, no goroutine of the network is left running our code
// other than tracked goroutines already past their work, and those exit.
// The network is closed while status exchanges (every 2 ms), syncs and
// dials are under way.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	ctx := context.Background()
	fast := func(c *p2p.Config) { c.StatusInterval = 2 * time.Millisecond }
	b := startPeer(t, 1, "", nil, fast)
	c := startPeer(t, 2, "", []peer.AddrInfo{b.info()}, fast)
	b.seal(ctx, 20, 20)
	c.seal(ctx, 20, 20)

	var a *peerNode
	pprof.Do(ctx, pprof.Labels("net", "a"), func(context.Context) {
		a = startPeer(t, 0, "", []peer.AddrInfo{b.info(), c.info()}, fast)
	})
	eventually(t, 30*time.Second, "a is connected to b and c and syncing", func() bool {
		return len(a.net.ConnectedMembers()) == 2 && heightOf(a, 1) > 0
	})
	if !slices.ContainsFunc(labelledP2PStacks(t, "a"), func(st p2pStack) bool { return st.ours }) {
		t.Fatal("no labelled goroutine of the network's own: the test sees nothing")
	}

	a.stop()
	// A goroutine of libp2p's may still be on its way out of a callback of
	// ours (a message ID, the peer filter): only goroutines we started
	// count here, and every goroutine below.
	for _, st := range labelledP2PStacks(t, "a") {
		if st.ours && !strings.HasSuffix(st.frames[0], trackedEpilogue) {
			t.Errorf("after Close, a goroutine still runs %s", strings.Join(st.frames, " ← "))
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := labelledP2PStacks(t, "a")
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after Close, %d goroutines still run the network's code, the first %s", len(left), strings.Join(left[0].frames, " ← "))
		}
		time.Sleep(5 * time.Millisecond) // polling the profile; nothing to wait on
	}
}

// holdingHandler is a log handler that holds the first record with message
// msg logged from a status exchange we opened until release is closed.
type holdingHandler struct {
	msg     string
	once    *sync.Once
	held    chan struct{}
	release chan struct{}
}

func (h holdingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h holdingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h holdingHandler) WithGroup(string) slog.Handler            { return h }

func (h holdingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message != h.msg || !onStack(p2pFrame+"(*Network).exchangeStatus") {
		return nil
	}
	hold := false
	h.once.Do(func() { hold = true })
	if hold {
		close(h.held)
		<-h.release
	}
	return nil
}

func onStack(fn string) bool {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if f.Function == fn {
			return true
		}
		if !more {
			return false
		}
	}
}

// closeParkedInWait reports whether a goroutine in Network.Close is parked
// in its WaitGroup's Wait. A parked Wait means a tracked goroutine is
// still running: with none, Wait returns without parking.
func closeParkedInWait(t *testing.T) bool {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 2); err != nil {
		t.Fatal(err)
	}
	for _, g := range strings.Split(buf.String(), "\n\n") {
		if strings.Contains(g, "[sync.WaitGroup.Wait") && strings.Contains(g, p2pFrame+"(*Network).Close(") {
			return true
		}
	}
	return false
}

// A status exchange we opened is still processing the answer when Close
// is called: Close waits for it, so nothing of the network uses the store
// once Close returns. The answer comes from a member (a bare host with a
// member's key) on another genesis; the exchange is held in the log call
// that reports it.
func TestCloseWaitsForStatusExchange(t *testing.T) {
	priv, err := crypto.UnmarshalEd25519PrivateKey(chaintest.Key(1))
	if err != nil {
		t.Fatal(err)
	}
	other, err := libp2p.New(libp2p.Identity(priv), libp2p.ListenAddrs(loopback(t)...))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetStreamHandler(p2p.StatusProtocol(params().NetworkID), func(s network.Stream) {
		defer s.Close()
		io.Copy(io.Discard, s) // their status, up to their CloseWrite
		protodelim.MarshalTo(s, &p2ppb.Status{GenesisHash: make([]byte, 32)})
	})

	h := holdingHandler{
		msg:     "peer is on another genesis; disconnecting",
		once:    new(sync.Once),
		held:    make(chan struct{}),
		release: make(chan struct{}),
	}
	released := false
	defer func() {
		if !released {
			close(h.release)
		}
	}()
	a := startPeer(t, 0, "", []peer.AddrInfo{{ID: other.ID(), Addrs: other.Addrs()}}, func(c *p2p.Config) {
		c.Logger = slog.New(h)
	})
	select {
	case <-h.held:
	case <-time.After(30 * time.Second):
		t.Fatal("no status exchange with the member of another genesis within 30 s")
	}

	closed := make(chan struct{})
	go func() {
		a.stop()
		close(closed)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !closeParkedInWait(t) {
		select {
		case <-closed:
			t.Fatal("Close returned while a status exchange it started was still running")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("Close neither returned nor waited for the status exchange within 30 s")
		}
		time.Sleep(5 * time.Millisecond) // polling the profile; nothing to wait on
	}
	released = true
	close(h.release)
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not return within 30 s of the status exchange ending")
	}
}
