package queryproto_test

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"
)

// staller is a member's peer that accepts query streams, reads the
// request, and never answers.
type staller struct {
	h       host.Host
	streams atomic.Int64
}

func newStaller(t *testing.T, key int) *staller {
	t.Helper()
	sk, err := crypto.UnmarshalEd25519PrivateKey(chaintest.Key(key))
	if err != nil {
		t.Fatal(err)
	}
	h, err := libp2p.New(libp2p.Identity(sk), libp2p.ListenAddrs(loopback()...))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	t.Cleanup(func() {
		close(stop)
		h.Close()
	})
	s := &staller{h: h}
	h.SetStreamHandler(p2p.QueryProtocol(chaintest.NetworkID), func(st network.Stream) {
		s.streams.Add(1)
		io.Copy(io.Discard, st) // the request, up to the client's half-close
		<-stop
		st.Reset()
	})
	return s
}

func (s *staller) info() peer.AddrInfo { return peer.AddrInfo{ID: s.h.ID(), Addrs: s.h.Addrs()} }

// One member of three stalls: it takes the query stream and never
// answers. A lookup with the default settings that asks it first still
// verifies the record from the other two members, under a deadline
// shorter than the per-peer deadline the stalled member is given: the
// lookup does not wait for it.
func TestStalledMemberDoesNotDenyLookup(t *testing.T) {
	// Shorter than DefaultPeerTimeout, so a lookup that waited for the
	// stalled member's deadline could not succeed; long enough for a few
	// loopback round trips on a loaded machine.
	const budget = 4 * time.Second
	if budget >= queryproto.DefaultPeerTimeout {
		t.Fatalf("the lookup's budget %s must be below the per-peer deadline %s", budget, queryproto.DefaultPeerTimeout)
	}
	members := chaintest.Members(3)
	m0 := startMember(t, 0, members, nil)
	m1 := startMember(t, 1, members, []peer.AddrInfo{m0.info()})
	m1.submit(paymentEntry(t, 1, 0))
	replicated(t, []*member{m0, m1}, m1)
	stalled := newStaller(t, 2)

	// The light client is connected to the stalled member; the live ones
	// are only bootstrap addresses.
	n, err := p2p.New(p2p.Config{
		Params: chaintest.Params(), GenesisHash: genesisHash, Members: members, Key: chaintest.Key(70),
		ListenAddrs: loopback(), Logger: testLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer ccancel()
	if err := n.Host().Connect(cctx, stalled.info()); err != nil {
		t.Fatal(err)
	}
	lc, err := queryproto.NewLightClient(n.Host(), queryproto.Genesis{
		NetworkID: chaintest.NetworkID, Members: members, Bootstrap: []peer.AddrInfo{m0.info(), m1.info()},
	})
	if err != nil {
		t.Fatal(err)
	}

	order := chaintest.OrderID(1, 0)
	for round := range 3 {
		asked := stalled.streams.Load()
		ctx, cancel := context.WithTimeout(context.Background(), budget)
		// The stalled member first, as the connected member would be.
		res, err := lc.Lookup(ctx, order, stalled.h.ID(), m0.id(), m1.id())
		cancel()
		if err != nil {
			t.Fatalf("round %d: a lookup with one member stalled: %v", round, err)
		}
		if len(res.Payments) != 1 || !proto.Equal(res.Payments[0].Record, chaintest.PaymentRecord(1, 0)) {
			t.Fatalf("round %d: %+v", round, res.Payments)
		}
		if stalled.streams.Load() <= asked {
			t.Fatalf("round %d: the stalled member was not asked", round)
		}
		for _, p := range res.Answered {
			if p == stalled.h.ID() {
				t.Fatalf("round %d: the stalled member answered", round)
			}
		}
		if len(res.Failed) != 1 || res.Failed[0].Peer != stalled.h.ID() {
			t.Fatalf("round %d: failed peers %+v, want the stalled member", round, res.Failed)
		}
		t.Logf("round %d: answered by %v; %s: %v", round, res.Answered, res.Failed[0].Peer, res.Failed[0].Err)
	}

	// Finding peers itself, the client asks the connected member first.
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	if got, err := lc.LookupPayment(ctx, order, ""); err != nil || len(got) != 1 {
		t.Fatalf("a lookup from any peer with one member stalled: %v", err)
	}
}

// Only the stalled member to ask: the lookup ends with the caller's
// deadline as a timeout, not a failed check or NOT_FOUND.
func TestOnlyStalledMemberTimesOut(t *testing.T) {
	members := chaintest.Members(3)
	stalled := newStaller(t, 2)
	_, lc := startLightClient(t, 71, members, []peer.AddrInfo{stalled.info()})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	res, err := lc.Lookup(ctx, chaintest.OrderID(1, 0))
	if !errors.Is(err, queryproto.ErrTimeout) || errors.Is(err, queryproto.ErrVerify) || errors.Is(err, queryproto.ErrNotFound) {
		t.Fatalf("only a stalled member: %v, want ErrTimeout", err)
	}
	if len(res.Failed) != 1 || res.Failed[0].Peer != stalled.h.ID() {
		t.Fatalf("failed peers %+v", res.Failed)
	}
}
