package queryproto_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

var genesisHash = sha256.Sum256([]byte("queryproto test genesis"))

func loopback() []ma.Multiaddr {
	return []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/0")}
}

func testLogger() *slog.Logger {
	level := slog.LevelError
	if os.Getenv("CREDMESH_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// member is a whole member peer: store, network, builder publishing what it
// seals, and the query server.
type member struct {
	t       testing.TB
	key     int
	members chain.Members
	st      *store.Store
	net     *p2p.Network
	b       *builder.Builder
	srv     *queryproto.Server
	stopRun context.CancelFunc
	ran     chan struct{}
}

// startMember runs member key of the genesis members, bootstrapping from
// boot; edit adjusts the server's configuration.
func startMember(t testing.TB, key int, members chain.Members, boot []peer.AddrInfo, edit ...func(*queryproto.Config)) *member {
	t.Helper()
	return startMemberWith(t, key, members, chaintest.Params(), nil, boot, edit...)
}

// startMemberWith is startMember with the network's chain parameters and
// an edit of the p2p configuration (may be nil).
func startMemberWith(t testing.TB, key int, members chain.Members, params chain.Params, netEdit func(*p2p.Config), boot []peer.AddrInfo, edit ...func(*queryproto.Config)) *member {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{Logger: testLogger(), CacheBytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	nc := p2p.Config{
		Params:         params,
		GenesisHash:    genesisHash,
		Members:        members,
		Key:            chaintest.Key(key),
		Store:          st,
		ListenAddrs:    loopback(),
		Bootstrap:      boot,
		StatusInterval: time.Second,
		Logger:         testLogger(),
	}
	if netEdit != nil {
		netEdit(&nc)
	}
	n, err := p2p.New(nc)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	b, err := builder.New(builder.Config{Params: params, Members: members, Key: chaintest.Key(key), Store: st, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	m := &member{t: t, key: key, members: members, st: st, net: n, b: b, ran: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	m.stopRun = cancel
	go func() {
		defer close(m.ran)
		b.Run(ctx)
	}()
	go func() {
		for blk := range b.Sealed() {
			n.Publish(context.Background(), blk)
		}
	}()
	cfg := queryproto.Config{
		Host: n.Host(), NetworkID: chaintest.NetworkID, Members: members, Store: st,
		Key: chaintest.Key(key), Receipts: b, FeeMinor: 200, FeeCurrency: "CNY", Evidence: n.EvidenceOf, Logger: testLogger(),
	}
	for _, e := range edit {
		e(&cfg)
	}
	if m.srv, err = queryproto.NewServer(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.stop)
	return m
}

// stop shuts the member down: server, builder, network, store.
func (m *member) stop() {
	if m.net == nil {
		return
	}
	m.srv.Close()
	m.stopRun()
	<-m.ran
	m.net.Close()
	m.st.Close()
	m.net = nil
}

func (m *member) info() peer.AddrInfo { return m.net.AddrInfo() }
func (m *member) id() peer.ID         { return m.net.ID() }
func (m *member) issuer() chain.IssuerID {
	return chaintest.Issuer(m.key)
}

// submit appends entries to the member's chain and seals them.
func (m *member) submit(entries ...*chainpb.Entry) {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs, err := m.b.Submit(ctx, entries)
	if err != nil {
		m.t.Fatal(err)
	}
	for i, e := range errs {
		if e != nil {
			m.t.Fatalf("member %d entry %d: %v", m.key, i, e)
		}
	}
	m.flush()
}

func (m *member) flush() {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.b.Flush(ctx); err != nil {
		m.t.Fatal(err)
	}
}

func (m *member) height(issuer chain.IssuerID) uint64 {
	if h := m.st.Head(issuer); h != nil {
		return h.Height
	}
	return 0
}

// startNetwork starts members 0..n-1 of a genesis of n members, each
// bootstrapping from those before it, and waits until all are connected.
func startNetwork(t testing.TB, n int) []*member {
	t.Helper()
	members := chaintest.Members(n)
	var ms []*member
	var boot []peer.AddrInfo
	for i := range n {
		m := startMember(t, i, members, boot)
		ms = append(ms, m)
		boot = append(boot, m.info())
	}
	eventually(t, 30*time.Second, "every member is connected to every other", func() bool {
		for _, m := range ms {
			if len(m.net.ConnectedMembers()) < n-1 {
				return false
			}
		}
		return true
	})
	return ms
}

// replicated waits until every running member holds issuer's chain up to
// the height its own peer holds.
func replicated(t testing.TB, ms []*member, src *member) {
	t.Helper()
	want := src.height(src.issuer())
	eventually(t, 30*time.Second, fmt.Sprintf("every member holds member %d's chain to height %d", src.key, want), func() bool {
		for _, m := range ms {
			if m.net != nil && m.height(src.issuer()) < want {
				return false
			}
		}
		return true
	})
}

// startLightClient starts a non-member host (p2p.New with a nil store) and
// a light client on it.
func startLightClient(t testing.TB, key int, members chain.Members, boot []peer.AddrInfo) (*p2p.Network, *queryproto.LightClient) {
	t.Helper()
	n, err := p2p.New(p2p.Config{
		Params: chaintest.Params(), GenesisHash: genesisHash, Members: members, Key: chaintest.Key(key),
		ListenAddrs: loopback(), Bootstrap: boot, Logger: testLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	lc, err := queryproto.NewLightClient(n.Host(), queryproto.Genesis{NetworkID: chaintest.NetworkID, Members: members, Bootstrap: boot})
	if err != nil {
		t.Fatal(err)
	}
	return n, lc
}

// eventually polls cond every 20 ms until it holds or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// paymentEntry seals payment n of member issuer.
func paymentEntry(t testing.TB, issuer, n int) *chainpb.Entry {
	t.Helper()
	e, err := chain.SealPayment(chaintest.NetworkID, chaintest.Issuer(issuer), chaintest.PaymentRecord(issuer, n))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// creditEvent is an event of account about subject.
func creditEvent(id, account string, subject []byte, kind chainpb.CreditEventKind, outstanding uint64, daysOverdue uint32, at time.Time) *chainpb.CreditEvent {
	c := &chainpb.CreditEvent{
		EventId: id, SubjectRef: subject, AccountId: account, Kind: kind,
		AmountMinor: 1_000_000, OutstandingMinor: outstanding, Currency: "CNY", OccurredAtMs: at.UnixMilli(),
	}
	if chain.IsNegative(kind) {
		c.DaysOverdue = daysOverdue
		c.ExpiresAtMs = at.AddDate(5, 0, 0).UnixMilli()
	}
	return c
}

func creditEntry(c *chainpb.CreditEvent) *chainpb.Entry {
	return &chainpb.Entry{Body: &chainpb.Entry_CreditEvent{CreditEvent: c}}
}
