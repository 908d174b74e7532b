package p2p_test

import (
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/p2p/p2ppb"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// farHead is a header of member key at height 2^63, signed with its key
// and linked to nothing anyone holds.
func farHead(t *testing.T, key int) *chain.SignedHeader {
	t.Helper()
	h := chain.Header{
		NetworkID: chaintest.NetworkID, Issuer: chaintest.Issuer(key), Height: 1 << 63,
		PrevHash: chain.Hash{1}, Time: time.Now(), EntryCount: 1, EntriesRoot: chain.Hash{2},
	}
	sh, err := chain.SignHeader(h, chaintest.Key(key))
	if err != nil {
		t.Fatal(err)
	}
	return sh
}

// A member whose status claims something no issuer signed — a chain at
// height 2^63 under a forged or missing signature, a head of a non-member,
// evidence that is not two signed headers — is scored down, disconnected
// and kept out; nothing it claimed is synced towards.
func TestLyingStatusIsRefused(t *testing.T) {
	forged := func(t *testing.T) *p2ppb.Status {
		h := farHead(t, 2)
		h.Signature = append([]byte(nil), h.Signature...)
		h.Signature[7] ^= 0x10
		return statusOf([]*chain.SignedHeader{h})
	}
	unsigned := func(t *testing.T) *p2ppb.Status {
		st := statusOf([]*chain.SignedHeader{farHead(t, 2)})
		st.Heads[0].Signature = nil
		return st
	}
	outsider := func(t *testing.T) *p2ppb.Status {
		return statusOf([]*chain.SignedHeader{chaintest.BulkChain(40, nil, 0, 4, 4)[0].SignedHeader})
	}
	badEvidence := func(t *testing.T) *p2ppb.Status {
		a := chaintest.BulkChain(2, nil, 0, 4, 4)[0].SignedHeader
		b := chaintest.BulkChain(2, nil, 100, 4, 4)[0].SignedHeader
		b.Signature = append([]byte(nil), b.Signature...)
		b.Signature[0] ^= 1
		return statusOf(nil, chain.NewEvidence(a, b))
	}
	for _, tc := range []struct {
		name   string
		status func(*testing.T) *p2ppb.Status
	}{
		{"head at 2^63 with a forged signature", forged},
		{"head at 2^63 without a signature", unsigned},
		{"head of a non-member", outsider},
		{"evidence with a forged header", badEvidence},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startPeer(t, 2, "", nil)
			// The liar joins gossip with an honest status first, so that
			// member 2's gossip scores it; its next status (member 2 asks
			// every StatusInterval) lies.
			liar := newScripted(t, 4, statusOf(nil), nil, c)
			liar.waitForMesh(t, c)
			liar.setStatus(tc.status(t))
			eventually(t, 10*time.Second, "member 2 refuses the status and disconnects the liar", func() bool {
				return c.net.Stats().Misbehaved >= 1 && c.net.Host().Network().Connectedness(liar.h.ID()) != network.Connected
			})
			eventually(t, 5*time.Second, "the liar's score is below the graylist threshold", func() bool {
				score, ok := c.net.PeerScores()[liar.h.ID()]
				return ok && score < -80
			})
			if s := c.net.Syncing(); len(s) != 0 {
				t.Fatalf("member 2 syncs towards a lie: %v", s)
			}
			if len(c.net.Forked()) != 0 {
				t.Fatal("member 2 took evidence that does not verify")
			}
			if err := liar.h.Connect(t.Context(), c.info()); err == nil {
				eventually(t, 5*time.Second, "the liar stays out", func() bool {
					return c.net.Host().Network().Connectedness(liar.h.ID()) != network.Connected
				})
			}
		})
	}
}

// A head signed by its issuer at height 2^63 that nobody can serve (the
// issuer signed it and handed it to one member) does not keep anyone
// syncing: the member relaying it fails to serve it and loses its claim,
// the target falls back to the highest head still claimed, and that chain
// is caught up from the member that holds it.
func TestUnservableHeadFallsBack(t *testing.T) {
	chain2 := chaintest.BulkChain(2, nil, 0, 12, 4) // three blocks
	b := startPeer(t, 1, "", nil, noStatusTicks)
	replicate(t, b, chain2)
	c := startPeer(t, 3, "", []peer.AddrInfo{b.info()}, noStatusTicks)
	eventually(t, 10*time.Second, "member 3 catches member 2's chain up from member 1", func() bool { return heightOf(c, 2) == 3 })

	relay := newScripted(t, 4, statusOf([]*chain.SignedHeader{farHead(t, 2)}), nil, c)
	select {
	case from := <-relay.asked:
		if from != 4 {
			t.Fatalf("member 3 asked the relay from block %d, want 4", from)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("member 3 never tried the head at 2^63")
	}
	eventually(t, 10*time.Second, "member 3 no longer syncs towards 2^63", func() bool { return len(c.net.Syncing()) == 0 })
	if s := c.net.Stats(); s.Misbehaved != 0 {
		t.Fatal("relaying a validly signed head counted as misbehaving")
	}
	if heightOf(c, 2) != 3 {
		t.Fatalf("member 3 holds member 2's chain to %d, want 3", heightOf(c, 2))
	}
}
