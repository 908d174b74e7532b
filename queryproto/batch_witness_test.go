package queryproto_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// A batch answer sends each cosigned head once for the blocks it covers,
// and LookupBatch holds every record to the same witness policy as
// Lookup: with one honest witness required both records of the issuer
// pass (block 1 through block 2's history), with two (only one other
// member cosigns) each fails with ErrUnwitnessed, and with none they pass
// unchecked.
func TestBatchChecksWitnessesOncePerHead(t *testing.T) {
	members := chaintest.Members(3)
	issuer := startWitnessMember(t, 0, members, nil)
	honest := startWitnessMember(t, 1, members, []peer.AddrInfo{issuer.info()})
	eventually(t, 30*time.Second, "the two members are connected", func() bool { return len(issuer.net.ConnectedMembers()) == 1 })
	iss, w := issuer.issuer(), honest.issuer()
	issuer.submit(paymentEntry(t, 0, 1))
	issuer.submit(paymentEntry(t, 0, 2))
	replicated(t, []*member{issuer, honest}, issuer)
	eventually(t, 30*time.Second, "the issuer holds the honest witness's cosignature of block 2", func() bool {
		for _, c := range issuer.net.Cosignatures(iss, 2) {
			if c.Witness == w && c.Head.Height == 2 {
				return true
			}
		}
		return false
	})
	ids := []string{chaintest.OrderID(0, 1), chaintest.OrderID(0, 2)}

	// The answer's shape: one cosigned head (block 2) for both blocks.
	n, err := p2p.New(p2p.Config{Params: witnessParams(), GenesisHash: genesisHash, Members: members, Key: chaintest.Key(80),
		ListenAddrs: loopback(), Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if err := n.Host().Connect(context.Background(), issuer.info()); err != nil {
		t.Fatal(err)
	}
	hashes := make([][privacy.LookupSize]byte, len(ids))
	for i, id := range ids {
		hashes[i] = privacy.Lookup(chaintest.NetworkID, id)
	}
	ba, err := queryproto.NewClient(n.Host(), chaintest.NetworkID).PaymentBatch(context.Background(), issuer.id(), hashes)
	if err != nil {
		t.Fatal(err)
	}
	if len(ba.Headers) != 2 || len(ba.Cosigned) != 1 || len(ba.Witnessed) != 2 || ba.Cosigned[0].Head.Height != 2 {
		t.Fatalf("batch answer: %d headers, %d cosigned heads, %d references; want 2, 1 (block 2), 2", len(ba.Headers), len(ba.Cosigned), len(ba.Witnessed))
	}

	for _, tc := range []struct {
		k    int
		want error // per order ID; nil: verified
	}{{1, nil}, {2, queryproto.ErrUnwitnessed}, {0, nil}} {
		out, err := lightWith(t, members, tc.k, issuer.info()).LookupBatch(context.Background(), ids, issuer.id())
		if err != nil {
			t.Fatalf("K = %d: %v", tc.k, err)
		}
		for _, r := range out {
			switch {
			case tc.want == nil && r.Err != nil:
				t.Errorf("K = %d, %s: %v, want verified", tc.k, r.OrderID, r.Err)
			case tc.want != nil && !errors.Is(r.Err, tc.want):
				t.Errorf("K = %d, %s: %v, want %v", tc.k, r.OrderID, r.Err, tc.want)
			}
			var we *queryproto.WitnessError
			if tc.k == 2 && errors.As(r.Err, &we) && (we.Have != 1 || we.Want != 2) {
				t.Errorf("K = 2, %s: %d of %d cosignatures, want 1 of 2", r.OrderID, we.Have, we.Want)
			}
		}
	}
}
