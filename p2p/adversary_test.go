package p2p_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/p2p/p2ppb"
	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/encoding/protodelim"
)

// rogue is a raw libp2p host with plain gossipsub and none of our checks:
// whatever it publishes reaches the others' validators unfiltered.
type rogue struct {
	h     host.Host
	topic *pubsub.Topic
	mesh  *meshTracer
}

func newRogue(t *testing.T, key ed25519.PrivateKey, connect ...*peerNode) *rogue {
	t.Helper()
	return newRogueOn(t, key, p2p.BlocksTopic(chaintest.NetworkID), connect...)
}

// newRogueOn is newRogue on any topic.
func newRogueOn(t *testing.T, key ed25519.PrivateKey, topicName string, connect ...*peerNode) *rogue {
	t.Helper()
	sk, err := crypto.UnmarshalEd25519PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	h, err := libp2p.New(libp2p.Identity(sk), libp2p.ListenAddrs(loopback(t)...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	mesh := newMeshTracer()
	ps, err := pubsub.NewGossipSub(context.Background(), h,
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign), pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(func(m *pb.Message) string { s := sha256.Sum256(m.Data); return string(s[:]) }),
		pubsub.WithRawTracer(mesh))
	if err != nil {
		t.Fatal(err)
	}
	topic, err := ps.Join(topicName)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := topic.Subscribe(); err != nil {
		t.Fatal(err)
	}
	for _, p := range connect {
		if err := h.Connect(context.Background(), p.info()); err != nil {
			t.Fatal(err)
		}
	}
	return &rogue{h: h, topic: topic, mesh: mesh}
}

func (r *rogue) publish(t *testing.T, b *chain.Block) {
	t.Helper()
	if err := r.topic.Publish(context.Background(), b.Marshal()); err != nil {
		t.Fatal(err)
	}
}

func TestNonMemberCannotGossipOrSync(t *testing.T) {
	a := startPeer(t, 0, "", nil, gossipOnly)
	outsider := newRogue(t, chaintest.Key(40), a)
	// Gossip: a block the outsider signed itself. The outsider grafts the
	// member into its mesh (the member drops the GRAFT, as every RPC of a
	// non-member, but the outsider does not know), so its publish goes
	// straight to the member, which must drop it.
	outsider.waitForMesh(t, a)
	outsider.publish(t, chaintest.BulkChain(40, nil, 0, 10, 10)[0])
	// A member's block sent the same way afterwards is the control: once
	// it is stored, the member has had the outsider's block in front of it
	// too (its RPC was sent first), and must have taken only the member's.
	member := newRogue(t, chaintest.Key(5), a)
	member.waitForMesh(t, a)
	member.publish(t, chaintest.BulkChain(5, nil, 0, 10, 10)[0])
	eventually(t, 10*time.Second, "the member stores the control block", func() bool { return heightOf(a, 5) == 1 })
	if a.st.Head(chaintest.Issuer(40)) != nil || a.net.Stats().BlocksReceived != 1 {
		t.Fatalf("a member took a block from a non-member (blocks received: %d, want the control's 1)", a.net.Stats().BlocksReceived)
	}
	// Sync: answered UNAUTHORIZED.
	resp := syncRequest(t, outsider.h, a, chaintest.Issuer(0))
	if resp.Status != p2ppb.SyncStatus_SYNC_STATUS_UNAUTHORIZED {
		t.Fatalf("a non-member's sync got %s", resp.Status)
	}
	// Status: the stream is reset.
	s, err := outsider.h.NewStream(context.Background(), a.info().ID, p2p.StatusProtocol(chaintest.NetworkID))
	if err == nil {
		protodelim.MarshalTo(s, &p2ppb.Status{GenesisHash: genesisHash[:]})
		s.CloseWrite()
		var st p2ppb.Status
		if err := protodelim.UnmarshalFrom(bufio.NewReader(s), &st); err == nil {
			t.Fatal("a non-member got a status answer")
		}
	}
}

func syncRequest(t *testing.T, h host.Host, to *peerNode, iss chain.IssuerID) *p2ppb.SyncResponse {
	t.Helper()
	s, err := h.NewStream(context.Background(), to.info().ID, p2p.SyncProtocol(chaintest.NetworkID))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A server that refuses (UNAUTHORIZED) answers and closes without
	// reading the request, which can fail the write (QUIC: the remote
	// stopped reading); its answer is still there to read.
	_, werr := protodelim.MarshalTo(s, &p2ppb.SyncRequest{Issuer: iss[:], FromHeight: 1, Count: 1})
	s.CloseWrite()
	var resp p2ppb.SyncResponse
	if err := protodelim.UnmarshalFrom(bufio.NewReader(s), &resp); err != nil {
		t.Fatalf("sync answer: %v (request written: %v)", err, werr)
	}
	return &resp
}

func TestPeerOfAnotherGenesisIsDisconnected(t *testing.T) {
	a := startPeer(t, 0, "", nil)
	other := startPeer(t, 1, "", []peer.AddrInfo{a.info()}, func(c *p2p.Config) {
		c.GenesisHash = sha256.Sum256([]byte("another network"))
	})
	eventually(t, 10*time.Second, "the peer of another genesis is disconnected", func() bool {
		return a.net.Host().Network().Connectedness(other.info().ID) != network.Connected
	})
	// And it stays out: the ban refuses a new connection.
	if err := other.net.Host().Connect(context.Background(), a.info()); err == nil {
		// The dialler may see a connection the gater then closes.
		eventually(t, 5*time.Second, "the banned peer's new connection is closed", func() bool {
			return a.net.Host().Network().Connectedness(other.info().ID) != network.Connected
		})
	}
}

func TestInvalidBlockIsRejectedAndPenalized(t *testing.T) {
	a := startPeer(t, 0, "", nil)
	bad := newRogue(t, chaintest.Key(5), a)
	bad.waitForMesh(t, a)
	// Member 5 signs a block whose entries do not match its Merkle root.
	b := chaintest.BulkChain(5, nil, 0, 3, 3)[0]
	b.Entries = [][]byte{b.Entries[1], b.Entries[0], b.Entries[2]}
	bad.publish(t, b)
	eventually(t, 10*time.Second, "the invalid block is rejected and the sender's score is negative", func() bool {
		score, ok := a.net.PeerScores()[bad.h.ID()]
		return a.net.Stats().BlocksRejected == 1 && ok && score < 0
	})
	if a.st.Head(chaintest.Issuer(5)) != nil {
		t.Fatal("the invalid block was stored")
	}
}

func TestEquivocationIsDetectedByEveryMember(t *testing.T) {
	var honest []*peerNode
	for i := range 4 {
		var boot []peer.AddrInfo
		if i > 0 {
			boot = []peer.AddrInfo{honest[0].info()}
		}
		honest = append(honest, startPeer(t, i, "", boot))
	}
	eventually(t, 20*time.Second, "the honest members are connected", func() bool {
		for _, p := range honest {
			if len(p.net.ConnectedMembers()) < 3 {
				return false
			}
		}
		return true
	})
	// The rogue member reaches only member 0; the evidence must reach the rest.
	forker := newRogue(t, chaintest.Key(5), honest[0])
	forker.waitForMesh(t, honest[0])
	x := chaintest.BulkChain(5, nil, 0, 4, 4)[0]
	y := chaintest.BulkChain(5, nil, 100, 4, 4)[0]
	forker.publish(t, x)
	eventually(t, 10*time.Second, "member 0 stores the first block", func() bool { return heightOf(honest[0], 5) == 1 })
	forker.publish(t, y)
	eventually(t, 20*time.Second, "every honest member marks member 5 forked", func() bool {
		for _, p := range honest {
			if _, ok := p.net.Forked()[chaintest.Issuer(5)]; !ok {
				return false
			}
		}
		return true
	})
	for _, p := range honest {
		ev := p.net.Forked()[chaintest.Issuer(5)]
		if err := ev.Verify(members, chaintest.NetworkID); err != nil {
			t.Fatalf("member %d holds evidence that does not verify: %v", p.key, err)
		}
	}
	// The evidence survives a restart.
	evs, err := honest[3].st.Evidence()
	if err != nil || evs[chaintest.Issuer(5)] == nil {
		t.Fatalf("evidence not stored: %v", err)
	}
}
