package p2p_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/p2p"
	"github.com/libp2p/go-libp2p"
	dhtpb "github.com/libp2p/go-libp2p-kad-dht/pb"
	recpb "github.com/libp2p/go-libp2p-record/pb"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-msgio"
	ma "github.com/multiformats/go-multiaddr"
	mh "github.com/multiformats/go-multihash"
	"google.golang.org/protobuf/proto"
)

func kadProtocol() protocol.ID { return p2p.DHTPrefix(chaintest.NetworkID) + "/kad/1.0.0" }

func rendezvousKey(t *testing.T) []byte {
	k, err := mh.Sum([]byte(p2p.Rendezvous(chaintest.NetworkID)), mh.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// dhtRequest sends one DHT message to p on a stream of its own, as
// go-libp2p-kad-dht frames it (uvarint length, protobuf), half-closes, and
// returns the answer, if any (nil when the stream ends without one, as a
// refused request does).
func dhtRequest(ctx context.Context, h host.Host, p peer.ID, m *dhtpb.Message) (*dhtpb.Message, error) {
	s, err := h.NewStream(ctx, p, kadProtocol())
	if err != nil {
		return nil, err
	}
	defer s.Close()
	s.SetDeadline(time.Now().Add(10 * time.Second))
	data, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	if err := msgio.NewVarintWriter(s).WriteMsg(data); err != nil {
		return nil, err
	}
	s.CloseWrite()
	r := msgio.NewVarintReaderSize(s, 4<<20)
	msg, err := r.ReadMsg()
	if err != nil {
		io.Copy(io.Discard, s)
		return nil, nil
	}
	var resp dhtpb.Message
	if err := proto.Unmarshal(msg, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// A non-member floods a member's DHT with 2,000 PUT_VALUE (valid /pk
// records, which the stock DHT keeps) and 2,000 ADD_PROVIDER messages
// (for random keys and for the rendezvous key, each with 64 addresses):
// nothing is stored, the member's records stay bounded, and members still
// find each other by the rendezvous key.
func TestDHTKeepsNothingFromANonMember(t *testing.T) {
	ctx := context.Background()
	a := startPeer(t, 0, "", nil)
	b := startPeer(t, 1, "", []peer.AddrInfo{a.info()})
	rendezvous := rendezvousKey(t)
	providers := func(from host.Host, key []byte) map[peer.ID]bool {
		t.Helper()
		resp, err := dhtRequest(ctx, from, a.info().ID, &dhtpb.Message{Type: dhtpb.Message_GET_PROVIDERS, Key: key})
		if err != nil || resp == nil {
			t.Fatalf("GET_PROVIDERS: %v, %v", resp, err)
		}
		out := make(map[peer.ID]bool)
		for _, p := range resp.ProviderPeers {
			out[peer.ID(p.Id)] = true
		}
		return out
	}
	flooder, err := libp2p.New(libp2p.ListenAddrs(loopback(t)...))
	if err != nil {
		t.Fatal(err)
	}
	defer flooder.Close()
	if err := flooder.Connect(ctx, a.info()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "member 0 provides the rendezvous key", func() bool {
		return providers(flooder, rendezvous)[a.info().ID]
	})
	var addrs [][]byte
	for i := range 64 {
		addrs = append(addrs, ma.StringCast(fmt.Sprintf("/ip4/10.%d.0.1/tcp/4001", i)).Bytes())
	}
	self := &dhtpb.Message_Peer{Id: []byte(flooder.ID()), Addrs: addrs}
	const each = 2000
	floodKey := func(i int) []byte {
		k, _ := mh.Sum(fmt.Appendf(nil, "flood %d", i), mh.SHA2_256, -1)
		return k
	}
	var pkKeys [][]byte
	msgs := make([]*dhtpb.Message, 0, 2*each)
	for i := range each {
		_, pub, err := crypto.GenerateEd25519Key(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		id, _ := peer.IDFromPublicKey(pub)
		raw, _ := crypto.MarshalPublicKey(pub)
		key := append([]byte("/pk/"), id...)
		pkKeys = append(pkKeys, key)
		msgs = append(msgs, &dhtpb.Message{Type: dhtpb.Message_PUT_VALUE, Key: key, Record: &recpb.Record{Key: key, Value: raw}})
		key = floodKey(i)
		if i%2 == 0 {
			key = rendezvous // claiming to be a member
		}
		msgs = append(msgs, &dhtpb.Message{Type: dhtpb.Message_ADD_PROVIDER, Key: key, ProviderPeers: []*dhtpb.Message_Peer{self}})
	}
	var wg sync.WaitGroup
	work := make(chan *dhtpb.Message)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range work {
				dhtRequest(ctx, flooder, a.info().ID, m) // refused: the stream just ends
			}
		}()
	}
	for _, m := range msgs {
		work <- m
	}
	close(work)
	wg.Wait()

	for _, key := range [][]byte{floodKey(1), floodKey(each - 1)} {
		if got := providers(flooder, key); len(got) != 0 {
			t.Fatalf("providers of a flooded key: %v", got)
		}
	}
	for _, key := range [][]byte{pkKeys[0], pkKeys[each-1]} {
		resp, err := dhtRequest(ctx, flooder, a.info().ID, &dhtpb.Message{Type: dhtpb.Message_GET_VALUE, Key: key})
		if err != nil || resp.GetRecord() != nil {
			t.Fatalf("GET_VALUE of a flooded key: %v, %v", resp.GetRecord(), err)
		}
	}
	st := a.net.Stats()
	if st.DHTRefused < 2*each {
		t.Fatalf("the member refused %d DHT writes, want all %d", st.DHTRefused, 2*each)
	}
	if st.ProviderRecords > 2 {
		t.Fatalf("the member holds %d provider records after the flood, want at most its 2 members'", st.ProviderRecords)
	}
	if n := len(a.net.Host().Peerstore().Addrs(flooder.ID())); n > len(flooder.Addrs()) {
		t.Fatalf("the member keeps %d addresses of the flooder, which listens on %d", n, len(flooder.Addrs()))
	}
	got := providers(flooder, rendezvous)
	delete(got, b.info().ID)
	if len(got) != 1 || !got[a.info().ID] {
		t.Fatalf("providers of the rendezvous key: %v, want members only, member 0 among them", providers(flooder, rendezvous))
	}
}
