package p2p_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/p2p"
	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// ownChain is member 0's chain of five blocks, the same bytes every time
// (deterministic signatures, fixed times).
func ownChain(t *testing.T) []*chain.VerifiedBlock {
	t.Helper()
	var (
		out  []*chain.VerifiedBlock
		head *chain.SignedHeader
	)
	for _, b := range chaintest.BulkChain(0, nil, 0, 5*20, 20) {
		vb, err := chain.ValidateBlock(b, head, members, params(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vb)
		head = b.SignedHeader
	}
	return out
}

// holding starts member key with blocks already in its store, as a store
// restored from a backup holds them.
func holding(t *testing.T, key int, vbs []*chain.VerifiedBlock, bootstrap []peer.AddrInfo) *peerNode {
	t.Helper()
	p := startPeer(t, key, "", bootstrap)
	if len(vbs) > 0 {
		if err := p.st.AppendSealed(vbs, 0); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func recoverCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// A member whose store was restored from a backup two blocks old, and one
// whose store was lost, get their own chain back from the others, block
// for block, and nothing of theirs is forked anywhere.
func TestRecoveryRestoresOwnChain(t *testing.T) {
	chain5 := ownChain(t)
	for _, tc := range []struct {
		name string
		kept int
	}{{"restored from a backup two blocks old", 3}, {"store lost", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			b := holding(t, 1, chain5, nil)
			c := holding(t, 2, chain5, []peer.AddrInfo{b.info()})
			a := holding(t, 0, chain5[:tc.kept], []peer.AddrInfo{b.info(), c.info()})
			eventually(t, 10*time.Second, "member 0 is connected to both", func() bool { return len(a.net.ConnectedMembers()) == 2 })

			var seen []p2p.RecoveryProgress
			pr, err := a.net.RecoverOwnChain(recoverCtx(t, 20*time.Second), 2, func(p p2p.RecoveryProgress) { seen = append(seen, p) })
			if err != nil {
				t.Fatal(err)
			}
			if pr.Answered != 2 || pr.Needed != 2 || pr.Head != 5 || pr.Blocks != 5-tc.kept {
				t.Fatalf("progress %+v, want 2 of 2 answered, head 5, %d blocks recovered", pr, 5-tc.kept)
			}
			if len(seen) == 0 || seen[len(seen)-1] != pr {
				t.Fatalf("progress reports %+v end elsewhere than %+v", seen, pr)
			}
			for h := uint64(1); h <= 5; h++ {
				got, err := a.st.Header(chaintest.Issuer(0), h)
				if err != nil || got.Hash != chain5[h-1].Hash {
					t.Fatalf("recovered block %d: %v, %v", h, got, err)
				}
			}
			if a.net.Stats().RecoveredBlocks != uint64(5-tc.kept) {
				t.Fatalf("recovered blocks counter %d", a.net.Stats().RecoveredBlocks)
			}
			for _, p := range []*peerNode{a, b, c} {
				if len(p.net.Forked()) != 0 {
					t.Fatalf("member %d records a fork: %v", p.key, p.net.Forked())
				}
			}
		})
	}
}

// In a new network nobody holds anything of ours: every member answers at
// once and recovery ends with nothing to store.
func TestRecoveryInANewNetwork(t *testing.T) {
	b := startPeer(t, 1, "", nil)
	c := startPeer(t, 2, "", []peer.AddrInfo{b.info()})
	a := startPeer(t, 0, "", []peer.AddrInfo{b.info(), c.info()})
	eventually(t, 10*time.Second, "member 0 is connected to both", func() bool { return len(a.net.ConnectedMembers()) == 2 })
	pr, err := a.net.RecoverOwnChain(recoverCtx(t, 20*time.Second), 2, nil)
	if err != nil || pr.Answered != 2 || pr.Blocks != 0 || pr.Head != 0 {
		t.Fatalf("recovery in a new network: %+v, %v", pr, err)
	}
	if _, err := a.net.RecoverOwnChain(context.Background(), 0, nil); !errors.Is(err, p2p.ErrRecoveryNeed) {
		t.Fatalf("recovery asking nobody: %v", err)
	}
}

// Recovery does not end before enough members have answered, asks members
// that connect later, and ends once they have.
func TestRecoveryWaitsForEnoughMembers(t *testing.T) {
	chain5 := ownChain(t)
	a := startPeer(t, 0, "", nil)
	pr, err := a.net.RecoverOwnChain(recoverCtx(t, time.Second), 1, nil)
	if !errors.Is(err, context.DeadlineExceeded) || pr.Answered != 0 {
		t.Fatalf("a lone member's recovery ended: %+v, %v", pr, err)
	}
	done := make(chan error, 1)
	go func() {
		var err error
		pr, err = a.net.RecoverOwnChain(recoverCtx(t, 20*time.Second), 1, nil)
		done <- err
	}()
	b := holding(t, 1, chain5, []peer.AddrInfo{a.info()})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if pr.Head != 5 || pr.Blocks != 5 || heightOf(b, 0) != 5 {
		t.Fatalf("recovered %+v from the member that joined", pr)
	}
}

// Members that answer "nothing further" do not end a recovery while a
// block of ours above the head is known to exist: a member that lags
// behind the one holding our newest blocks would otherwise let us sign a
// second block at their heights.
func TestRecoveryDoesNotEndBelowAKnownBlockOfOurs(t *testing.T) {
	chain5 := ownChain(t)
	b := holding(t, 1, chain5, nil)
	a := holding(t, 0, chain5[:3], []peer.AddrInfo{b.info()})
	eventually(t, 15*time.Second, "member 0 learns of its block 5 from member 1's signed status head", func() bool {
		return a.net.OwnAheadHeight() == 5
	})
	bDir := b.dir
	b.stop()
	c := holding(t, 2, chain5[:3], []peer.AddrInfo{a.info()}) // lags: holds only what member 0 holds
	eventually(t, 10*time.Second, "member 0 is connected to the lagging member", func() bool {
		return len(a.net.ConnectedMembers()) == 1
	})
	pr, err := a.net.RecoverOwnChain(recoverCtx(t, 2*time.Second), 1, nil)
	if !errors.Is(err, context.DeadlineExceeded) || pr.Head != 3 {
		t.Fatalf("recovery ended at head %d (%v) with block 5 of ours known to exist", pr.Head, err)
	}

	b = startPeer(t, 1, bDir, []peer.AddrInfo{a.info(), c.info()})
	pr, err = a.net.RecoverOwnChain(recoverCtx(t, 20*time.Second), 1, nil)
	if err != nil || pr.Head != 5 {
		t.Fatalf("recovery once the member holding our blocks is back: %+v, %v", pr, err)
	}
}

// A member holding a block of ours that does not follow our head (our key
// signed another block at our head's height) makes recovery build the
// evidence against our key, which halts us, rather than merely retry.
func TestRecoveryTurnsAForkOfOursIntoEvidence(t *testing.T) {
	chain5 := ownChain(t)
	// Member 1 holds our block 1, then other blocks 2 and 3 signed with our key.
	var other []*chain.VerifiedBlock
	head := chain5[0].SignedHeader
	for _, b := range chaintest.BulkChain(0, head, 5000, 40, 20) {
		vb, err := chain.ValidateBlock(b, head, members, params(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		other = append(other, vb)
		head = b.SignedHeader
	}
	b := holding(t, 1, append([]*chain.VerifiedBlock{chain5[0]}, other...), nil)
	a := holding(t, 0, chain5[:2], []peer.AddrInfo{b.info()})
	eventually(t, 10*time.Second, "member 0 is connected", func() bool { return len(a.net.ConnectedMembers()) == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := a.net.RecoverOwnChain(ctx, 1, nil)
		done <- err
	}()
	eventually(t, 15*time.Second, "member 0 holds evidence against its own key", alarmed(a.net.EvidenceAgainstUs()))
	if ev, ok := a.net.Forked()[chaintest.Issuer(0)]; !ok || ev.A.Height != 2 {
		t.Fatalf("evidence against us: %+v, %v; want two blocks at height 2", ev, ok)
	}
	if heightOf(a, 0) != 2 {
		t.Fatalf("a block of the other branch was stored: height %d", heightOf(a, 0))
	}
	cancel() // recovery never ends on a member that holds another branch; the node's guard halts on the evidence
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("recovery from a member holding another branch of ours ended: %v", err)
	}
}

// stallingMember is a genesis member whose sync handler reads the request
// and never answers; asked reports every request.
func stallingMember(t *testing.T, key ed25519.PrivateKey, connect ...*peerNode) chan struct{} {
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
	asked := make(chan struct{}, 16)
	h.SetStreamHandler(p2p.SyncProtocol(chaintest.NetworkID), func(s network.Stream) {
		select {
		case asked <- struct{}{}:
		default:
		}
		<-t.Context().Done()
		s.Reset()
	})
	for _, p := range connect {
		if err := h.Connect(context.Background(), p.info()); err != nil {
			t.Fatal(err)
		}
	}
	return asked
}

// A member that never answers does not hold recovery up while another
// answers: members are asked each on its own. (The stalled request would
// take SyncTimeout, 30 s, to fail.)
func TestRecoveryIsNotHeldUpByAStalledMember(t *testing.T) {
	chain5 := ownChain(t)
	a := startPeer(t, 0, "", nil)
	asked := stallingMember(t, chaintest.Key(3), a)
	eventually(t, 10*time.Second, "the stalling member is connected", func() bool { return len(a.net.ConnectedMembers()) == 1 })
	holding(t, 1, chain5, []peer.AddrInfo{a.info()})
	eventually(t, 10*time.Second, "member 0 is connected to both", func() bool { return len(a.net.ConnectedMembers()) == 2 })
	pr, err := a.net.RecoverOwnChain(recoverCtx(t, 20*time.Second), 1, nil)
	if err != nil || pr.Head != 5 || pr.Answered != 1 {
		t.Fatalf("recovery with a stalled member: %+v, %v", pr, err)
	}
	select {
	case <-asked:
	default:
		t.Fatal("the stalled member was never asked")
	}
}

// rogueOn joins topic with a plain gossipsub host of key, connected to
// the given peers, and returns once its mesh holds them: from then on what
// it publishes goes straight to them.
func rogueOn(t *testing.T, key ed25519.PrivateKey, topic string, connect ...*peerNode) *rogue {
	t.Helper()
	r := newRogueOn(t, key, topic, connect...)
	r.waitForMesh(t, connect...)
	return r
}

func (r *rogue) publishBytes(t *testing.T, data []byte) {
	t.Helper()
	if err := r.topic.Publish(context.Background(), data); err != nil {
		t.Fatal(err)
	}
}

func alarmed(ch <-chan struct{}) func() bool {
	return func() bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
}

// A member holds our chain further than our store (we lost blocks and did
// not recover): its status head, signed with our key, raises the alarm.
// Nothing is stored: only our builder and recovery write our chain.
func TestStatusShowingOwnBlocksAboveHeadRaisesTheAlarm(t *testing.T) {
	chain5 := ownChain(t)
	b := holding(t, 1, chain5, nil)
	a := holding(t, 0, chain5[:3], []peer.AddrInfo{b.info()})
	eventually(t, 15*time.Second, "member 0 sees a block of its own above its head", func() bool {
		return a.net.OwnAheadHeight() == 5
	})
	if !alarmed(a.net.OwnChainAhead())() {
		t.Fatal("OwnChainAhead did not signal")
	}
	if heightOf(a, 0) != 3 {
		t.Fatalf("our chain was written outside recovery: height %d", heightOf(a, 0))
	}
}

// A block of our own chain above our head arriving by gossip (another
// process signs with our key) raises the alarm and is not stored; one at a
// height we hold with another hash is evidence against us.
func TestGossipOfOwnBlocksRaisesTheAlarm(t *testing.T) {
	chain5 := ownChain(t)
	a := holding(t, 0, chain5[:2], nil)
	r := rogueOn(t, chaintest.Key(3), p2p.BlocksTopic(chaintest.NetworkID), a)
	// Block 3, above our head.
	r.publishBytes(t, chain5[2].Marshal())
	eventually(t, 10*time.Second, "member 0 notices a block of its own above its head by gossip", func() bool {
		return a.net.OwnAheadHeight() >= 3
	})
	if heightOf(a, 0) != 2 {
		t.Fatalf("a gossiped block of our own chain was stored: height %d", heightOf(a, 0))
	}
	if alarmed(a.net.EvidenceAgainstUs())() {
		t.Fatal("evidence against us without a second block at one height")
	}

	// Another block 2, signed with our key.
	r.publish(t, chaintest.BulkChain(0, chain5[0].SignedHeader, 500, 20, 20)[0])
	eventually(t, 10*time.Second, "member 0 holds evidence against its own key", alarmed(a.net.EvidenceAgainstUs()))
	if _, ok := a.net.Forked()[chaintest.Issuer(0)]; !ok {
		t.Fatal("evidence against us is not among the forks")
	}
}

// Evidence against our key from the evidence topic signals, and so does
// evidence kept in the store from an earlier run.
func TestEvidenceAgainstOurKeyIsSignalled(t *testing.T) {
	chain5 := ownChain(t)
	a := startPeer(t, 0, "", nil)
	r := rogueOn(t, chaintest.Key(3), p2p.EvidenceTopic(chaintest.NetworkID), a)
	twin := chaintest.BulkChain(0, nil, 500, 20, 20)[0]
	r.publishBytes(t, chain.NewEvidence(chain5[0].SignedHeader, twin.SignedHeader).Marshal())
	eventually(t, 10*time.Second, "member 0 holds evidence against its own key", alarmed(a.net.EvidenceAgainstUs()))
	dir := a.dir
	a.stop()
	a = startPeer(t, 0, dir, nil)
	if !alarmed(a.net.EvidenceAgainstUs())() {
		t.Fatal("evidence against us kept in the store does not signal at start")
	}
}
