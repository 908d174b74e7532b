package queryproto_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/placement"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// TestShardedRecordSurvivesAndLightClientVerifiesAReplica runs six members
// on loopback with replication factor R = 2: member 0's chain is held by
// member 0 and the two replicas placement gives it; the others keep only
// its header. After member 0 and one of its replicas (R − 1) are stopped,
// a light client's lookup answered by the last replica verifies; the
// members that moved up in the placement order take the chain over, and
// once they hold it the record survives the loss of every original holder.
func TestShardedRecordSurvivesAndLightClientVerifiesAReplica(t *testing.T) {
	const n, r = 6, 2
	members := chaintest.Members(n)
	params := chaintest.Params()
	params.ReplicationFactor = r
	pl := placement.New(members, r)
	index := map[chain.IssuerID]int{}
	for i := range n {
		index[chaintest.Issuer(i)] = i
	}
	var ms []*member
	var boot []peer.AddrInfo
	for i := range n {
		m := startMemberWith(t, i, members, params, func(c *p2p.Config) { c.LostAfter = 2 * time.Second }, boot)
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

	issuer := ms[0]
	var replicas []*member
	for _, id := range pl.Replicas(issuer.issuer()) {
		replicas = append(replicas, ms[index[id]])
	}
	var others []*member
	for _, m := range ms[1:] {
		if !slices.Contains(replicas, m) {
			others = append(others, m)
		}
	}
	entries := []*chainpb.Entry{paymentEntry(t, 0, 1), paymentEntry(t, 0, 2), paymentEntry(t, 0, 3)}
	// The chain topics' meshes form on gossipsub's heartbeat; status
	// every second fetches whatever a block published before missed.
	issuer.submit(entries...)
	want := issuer.height(issuer.issuer())
	t.Cleanup(func() {
		if t.Failed() {
			for _, m := range ms {
				if m.net != nil {
					t.Logf("member %d: height %d, header %v, held %d, stats %+v", m.key, m.height(issuer.issuer()), m.net.ChainHeader(issuer.issuer()) != nil, len(m.net.HeldChains()), m.net.Stats())
				}
			}
		}
	})
	eventually(t, 30*time.Second, "both replicas hold member 0's chain and every other member its header", func() bool {
		for _, m := range replicas {
			if m.height(issuer.issuer()) < want {
				return false
			}
		}
		for _, m := range others {
			if h := m.net.ChainHeader(issuer.issuer()); h == nil || h.Height < want {
				return false
			}
		}
		return true
	})
	for _, m := range others {
		if h := m.st.Head(issuer.issuer()); h != nil {
			t.Fatalf("member %d holds member 0's chain (height %d) though placement does not give it", m.key, h.Height)
		}
	}

	_, lc := startLightClient(t, 90, members, []peer.AddrInfo{replicas[1].info(), others[0].info()})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	order := chaintest.OrderID(0, 2)
	if _, err := lc.LookupPayment(ctx, order, others[0].id()); !errors.Is(err, queryproto.ErrNotFound) {
		t.Fatalf("a member that does not hold the chain answered: %v, want not found", err)
	}

	issuer.stop()
	replicas[0].stop()
	holders := peerIDs(t, pl.Holders(issuer.issuer()))
	res, err := lc.Lookup(ctx, order, holders...)
	if err != nil {
		t.Fatalf("lookup from the holders with member 0 and one replica down: %v", err)
	}
	if len(res.Payments) != 1 || res.Payments[0].Peer != replicas[1].id() || res.Payments[0].Record.GetOrderId() != order {
		t.Fatalf("lookup answered %+v, want the record from the last replica, member %d", res.Payments, replicas[1].key)
	}

	down := map[chain.IssuerID]bool{issuer.issuer(): true, replicas[0].issuer(): true}
	live := pl.Live(issuer.issuer(), func(m chain.IssuerID) bool { return down[m] })
	var takers []*member
	for _, id := range live {
		if m := ms[index[id]]; m != replicas[1] {
			takers = append(takers, m)
		}
	}
	if len(live) != r || len(takers) != 1 {
		t.Fatalf("live replica set %d members, %d new: want %d and 1", len(live), len(takers), r)
	}
	taker := takers[0]
	eventually(t, 30*time.Second, "the next member of the order holds member 0's chain", func() bool {
		return taker.height(issuer.issuer()) >= want
	})
	if taker.net.ChainsTakenOver() == 0 {
		t.Fatalf("member %d holds the chain but counted no takeover", taker.key)
	}
	replicas[1].stop()
	res, err = lc.Lookup(ctx, order, peerIDs(t, live)...)
	if err != nil || len(res.Payments) != 1 || res.Payments[0].Peer != taker.id() {
		t.Fatalf("lookup with every original holder down: %+v, %v; want the record from member %d", res, err, taker.key)
	}
}

func peerIDs(t *testing.T, ids []chain.IssuerID) []peer.ID {
	t.Helper()
	var out []peer.ID
	for _, id := range ids {
		p, err := peerid.FromIssuer(id)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}
