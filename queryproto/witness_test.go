package queryproto_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/chain/cert"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p/core/peer"
)

// witnessParams cosign every second, the shortest witness period.
func witnessParams() chain.Params {
	p := chaintest.Params()
	p.WitnessPeriod = time.Second
	return p
}

// startWitnessMember is startMember with witnessParams: a whole member
// peer that cosigns every second and serves the cosignatures it holds.
func startWitnessMember(t *testing.T, key int, members chain.Members, boot []peer.AddrInfo) *member {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{Logger: testLogger(), CacheBytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	n, err := p2p.New(p2p.Config{Params: witnessParams(), GenesisHash: genesisHash, Members: members, Key: chaintest.Key(key),
		Store: st, ListenAddrs: loopback(), Bootstrap: boot, StatusInterval: time.Second, Logger: testLogger()})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	b, err := builder.New(builder.Config{Params: witnessParams(), Members: members, Key: chaintest.Key(key), Store: st, Logger: testLogger()})
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
	if m.srv, err = queryproto.NewServer(queryproto.Config{Host: n.Host(), NetworkID: chaintest.NetworkID, Members: members, Store: st,
		Key: chaintest.Key(key), Receipts: b, FeeMinor: 200, FeeCurrency: "CNY", Evidence: n.EvidenceOf, Cosignatures: n.Cosignatures,
		Logger: testLogger()}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.stop)
	return m
}

// lightWith is a light client that asks only the peers given, with the
// witness policy k.
func lightWith(t *testing.T, members chain.Members, k int, boot ...peer.AddrInfo) *queryproto.LightClient {
	t.Helper()
	n, err := p2p.New(p2p.Config{Params: witnessParams(), GenesisHash: genesisHash, Members: members, Key: chaintest.Key(90 + k),
		ListenAddrs: loopback(), Bootstrap: boot, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	lc, err := queryproto.NewLightClient(n.Host(), queryproto.Genesis{NetworkID: chaintest.NetworkID, Members: members, Bootstrap: boot},
		queryproto.WithWitnesses(k), queryproto.WithAnswers(1))
	if err != nil {
		t.Fatal(err)
	}
	return lc
}

// An issuer (member 0) and a serving peer (member 2) collude: the peer
// holds a block the issuer signed for it alone, at a height where the rest
// of the network holds another, and serves it to a light client. With one
// honest witness required (member 1) the lookup fails, with
// ErrUnwitnessed when the peer serves no cosignature and a failed check
// when it passes off the witness's cosignature of the real block as one of
// its own; only a client that wants no witness (K = 0) takes the forked
// record. The real record passes with K = 1.
func TestCollusionIsCaughtByOneHonestWitness(t *testing.T) {
	members := chaintest.Members(3)
	issuer := startWitnessMember(t, 0, members, nil)
	honest := startWitnessMember(t, 1, members, []peer.AddrInfo{issuer.info()})
	eventually(t, 30*time.Second, "the two members are connected", func() bool { return len(issuer.net.ConnectedMembers()) == 1 })
	iss, w := issuer.issuer(), honest.issuer()
	issuer.submit(paymentEntry(t, 0, 1))
	issuer.submit(paymentEntry(t, 0, 2)) // block 2: the real one
	replicated(t, []*member{issuer, honest}, issuer)
	if h := issuer.height(iss); h != 2 {
		t.Fatalf("the issuer's chain has %d blocks, want 2", h)
	}
	eventually(t, 30*time.Second, "the issuer holds the honest witness's cosignature of block 2", func() bool {
		for _, c := range issuer.net.Cosignatures(iss, 2) {
			if c.Witness == w && c.Head.Height == 2 {
				return true
			}
		}
		return false
	})

	// The real record passes the policy.
	real := lightWith(t, members, 1, issuer.info())
	res, err := real.Lookup(context.Background(), chaintest.OrderID(0, 2), issuer.id())
	if err != nil {
		t.Fatalf("the witnessed record: %v", err)
	}
	if res.Payments[0].Height != 2 {
		t.Fatalf("the witnessed record is in block %d", res.Payments[0].Height)
	}

	// Once the witness cosigns a later head, block 2 is covered through
	// its path into that head's history.
	issuer.submit(paymentEntry(t, 0, 3))
	eventually(t, 30*time.Second, "the issuer holds the honest witness's cosignature of block 3", func() bool {
		for _, c := range issuer.net.Cosignatures(iss, 3) {
			if c.Witness == w {
				return true
			}
		}
		return false
	})
	if _, err := real.Lookup(context.Background(), chaintest.OrderID(0, 2), issuer.id()); err != nil {
		t.Fatalf("the record witnessed through a later head's history: %v", err)
	}

	// The colluding peer's store: block 1, then a block 2 the issuer
	// signed for it alone, holding a record the network never saw.
	st, err := store.Open(t.TempDir(), store.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b1, err := issuer.st.Block(iss, 1)
	if err != nil {
		t.Fatal(err)
	}
	if b1.SignedHeader.History, err = issuer.st.History(iss, 1); err != nil {
		t.Fatal(err)
	}
	forked, _, err := chain.SealBlock(chaintest.NetworkID, b1.SignedHeader, [][]byte{chaintest.PaymentEntry(0, 7)}, chaintest.Key(0), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []*chain.Block{b1, forked} {
		vb, err := chain.ValidateBlock(b, st.Head(iss), members, witnessParams(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Append(vb); err != nil {
			t.Fatal(err)
		}
	}
	colluder := newTamperer(t, 2, st)
	at := peer.AddrInfo{ID: colluder.h.ID(), Addrs: colluder.h.Addrs()}
	order := chaintest.OrderID(0, 7)

	// K = 1: the forked block has no cosignature but the issuer's own.
	_, err = lightWith(t, members, 1, at).Lookup(context.Background(), order, at.ID)
	var we *queryproto.WitnessError
	if !errors.As(err, &we) || we.Have != 0 || we.Want != 1 || we.Height != 2 {
		t.Fatalf("the forked record with one witness required: %v, want ErrUnwitnessed with 0 of 1", err)
	}

	// The peer passes off the honest witness's cosignature of the real
	// block 2 as one of the forked block.
	var genuine *querypb.Witnessed
	for _, c := range issuer.net.Cosignatures(iss, 2) {
		if c.Witness == w {
			genuine = &querypb.Witnessed{Proof: 0, Cosignatures: []*chainpb.HeadCosignature{c.Proto()}}
		}
	}
	colluder.use(&tampering{name: "borrowed cosignature", answer: func(_ int64, proofs []*querypb.Proof) *querypb.Response {
		resp := okProofs(proofs)
		resp.GetPayment().Witnessed = []*querypb.Witnessed{genuine}
		return resp
	}})
	_, err = lightWith(t, members, 1, at).Lookup(context.Background(), order, at.ID)
	var ce *queryproto.CheckError
	if !errors.As(err, &ce) || ce.Check != "witness" {
		t.Fatalf("the forked record with a borrowed cosignature: %v, want a failed witness check", err)
	}

	// K = 0 wants no witness: the forked record passes unnoticed.
	colluder.use(&tampering{})
	res, err = lightWith(t, members, 0, at).Lookup(context.Background(), order, at.ID)
	if err != nil || len(res.Payments) != 1 || res.Payments[0].Header.Hash != forked.Hash {
		t.Fatalf("with K = 0 the forked record: %v, want it verified", err)
	}

	// Its offline certificate carries no honest cosignature either: a
	// verifier that wants one witness refuses it, with no network.
	pay := res.Payments[0]
	c, err := cert.New(cert.Parts{NetworkID: chaintest.NetworkID, GenesisHash: genesisHash, OrderID: order, Proof: pay.Proof})
	if err != nil {
		t.Fatal(err)
	}
	data, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	tr := cert.Trust{NetworkID: chaintest.NetworkID, GenesisHash: genesisHash, Members: members}
	if _, _, err := cert.Verify(data, tr, 1); !errors.Is(err, cert.ErrUnwitnessed) {
		t.Fatalf("the forked record's certificate with one witness required: %v", err)
	}
	if _, _, err := cert.Verify(data, tr, 0); err != nil {
		t.Fatalf("the forked record's certificate with K = 0: %v", err)
	}
}
