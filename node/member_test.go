package node_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/governance"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/records"
)

// offsetClock is a clock every peer of a test network shares: the real
// time plus an offset the test moves forward past activation delays.
type offsetClock struct{ off atomic.Int64 }

func (c *offsetClock) Now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *offsetClock) advance(d time.Duration) { c.off.Add(int64(d)) }
func peerOf(iss chain.IssuerID) string         { id, _ := peerid.FromIssuer(iss); return id.String() }
func allRoles(dir, name string) devnet.Member {
	return devnet.Member{Dir: dir, Name: name, Roles: everyRole}
}

var everyRole = []config.Role{config.RolePayments, config.RoleCredit, config.RoleQuery}

func awaitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// outcomes summarises a peer's decisions: the state of each proposal.
func outcomes(v *api.MembershipView) string {
	var s []string
	for _, p := range v.Proposals {
		s = append(s, fmt.Sprintf("%s/%s:%s", p.Proposer, p.ID, p.State))
	}
	slices.Sort(s)
	var m []string
	for _, x := range v.Members {
		m = append(m, x.PeerID)
	}
	return fmt.Sprintf("epoch %d members %v proposals %v", v.Epoch, m, s)
}

// A member is removed and another's key rotated by decisions, while a
// second proposal to remove the same member races the first; the peers'
// shared clock is moved past the activation instead of waiting an hour.
// Every peer ends on the same membership; the removed key's and the old
// key's blocks after the activation are provably not a member's on every
// peer, their earlier records still verify, and the new key writes.
func TestRemovalRotationAndARaceAcrossPeers(t *testing.T) {
	clock := new(offsetClock)
	net, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "member-test", Members: []devnet.Member{
		allRoles("a", "Member A"), allRoles("b", "Member B"), allRoles("c", "Member C"), allRoles("d", "Member D"),
	}, Tune: func(_ int, o *node.Options) { o.Now = clock.Now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := net.Stop(); err != nil {
			t.Errorf("stopping: %v", err)
		}
	})
	ctx := context.Background()
	nd := []*node.Node{net.Node(0), net.Node(1), net.Node(2), net.Node(3)}
	removed, rotated := nd[3], nd[2]
	submit := func(n *node.Node, r records.Record) {
		t.Helper()
		errs, err := n.Submit(ctx, []records.Record{r})
		if err != nil || errs[0] != nil {
			t.Fatalf("submit: %v %v", err, errs)
		}
	}
	early3, early2 := records.SamplePayment("member-d", 1, 10), records.SamplePayment("member-c", 1, 10)
	submit(removed, early3)
	submit(rotated, early2)

	newKey := func() ed25519.PrivateKey {
		_, k, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}()
	newIss := chain.IssuerOf(newKey.Public().(ed25519.PublicKey))
	act := clock.Now().Add(time.Hour + time.Minute).Truncate(time.Second)
	propose := func(n *node.Node, req api.ProposeRequest) {
		t.Helper()
		req.ActivateAt = &act
		if _, err := n.Propose(ctx, req); err != nil {
			t.Fatalf("propose %s: %v", req.ID, err)
		}
	}
	propose(nd[0], api.ProposeRequest{Kind: "remove", ID: "rm-d", PeerID: peerOf(removed.Issuer())})
	propose(nd[1], api.ProposeRequest{Kind: "remove", ID: "rm-d-too", PeerID: peerOf(removed.Issuer())})
	propose(nd[1], api.ProposeRequest{Kind: "rotate", ID: "rot-c", PeerID: peerOf(rotated.Issuer()), NewPeerID: peerOf(newIss)})
	tooSoon := clock.Now().Add(time.Minute)
	if _, err := nd[0].Propose(ctx, api.ProposeRequest{Kind: "remove", ID: "soon", PeerID: peerOf(removed.Issuer()), ActivateAt: &tooSoon}); !errors.Is(err, api.ErrBadRequest) || !strings.Contains(err.Error(), "too soon") {
		t.Fatalf("an activation within the delay: %v", err)
	}

	approve := func(n *node.Node, proposer *node.Node, id string) {
		t.Helper()
		ref := governance.Ref{Proposer: proposer.Issuer(), ID: id}
		awaitCond(t, "the proposal "+id+" reaches "+peerOf(n.Issuer()), func() bool {
			_, ok := n.Membership().History().Outcome(ref)
			return ok
		})
		_, err := n.Approve(ctx, api.ApproveRequest{ID: id, Proposer: peerOf(proposer.Issuer())})
		// The two removals race: a peer that has already seen rm-d pass
		// holds rm-d-too void and refuses to approve it, which is the
		// outcome the race may have.
		if id == "rm-d-too" && errors.Is(err, api.ErrBadRequest) && strings.Contains(err.Error(), "is void") {
			return
		}
		if err != nil {
			t.Fatalf("approve %s: %v", id, err)
		}
	}
	approve(nd[1], nd[0], "rm-d")
	approve(nd[2], nd[0], "rm-d")
	approve(nd[0], nd[1], "rm-d-too")
	approve(nd[2], nd[1], "rm-d-too")
	approve(nd[0], nd[1], "rot-c")
	approve(nd[2], nd[1], "rot-c")
	if _, err := nd[2].Approve(ctx, api.ApproveRequest{ID: "rot-c"}); !errors.Is(err, api.ErrConflict) {
		t.Fatalf("approving twice: %v", err)
	}
	if _, err := nd[1].Approve(ctx, api.ApproveRequest{ID: "rot-c"}); !errors.Is(err, api.ErrConflict) {
		t.Fatalf("approving one's own: %v", err)
	}
	if _, err := nd[1].Approve(ctx, api.ApproveRequest{ID: "no-such"}); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("approving an unknown proposal: %v", err)
	}
	awaitCond(t, "every peer holds every approval", func() bool {
		for _, n := range nd {
			for _, r := range []governance.Ref{{Proposer: nd[0].Issuer(), ID: "rm-d"}, {Proposer: nd[1].Issuer(), ID: "rm-d-too"}, {Proposer: nd[1].Issuer(), ID: "rot-c"}} {
				o, ok := n.Membership().History().Outcome(r)
				if !ok || len(o.Approvers) < 3 && o.Status != governance.StatusVoid {
					return false
				}
			}
		}
		return true
	})
	if err := net.WaitInSync(ctx, nil); err != nil {
		t.Fatal(err)
	}

	// Past the activation, every peer agrees.
	clock.advance(time.Hour + 2*time.Minute)
	var want string
	awaitCond(t, "every peer is on one membership without D, with C's new key", func() bool {
		v0, _ := nd[0].Decisions()
		want = outcomes(v0)
		for _, n := range nd {
			v, _ := n.Decisions()
			if outcomes(v) != want || v.Epoch != 2 || len(v.Members) != 3 {
				return false
			}
		}
		return true
	})
	oneWins := strings.Contains(want, "/rm-d:active") && strings.Contains(want, "/rm-d-too:void") ||
		strings.Contains(want, "/rm-d:void") && strings.Contains(want, "/rm-d-too:active")
	if !oneWins || !strings.Contains(want, "/rot-c:active") {
		t.Fatalf("outcomes: %s", want)
	}

	// The removed member's and the old key's blocks from the activation
	// on are provably not a member's, everywhere; the new key writes.
	for _, x := range []struct {
		n    *node.Node
		home config.Home
	}{{removed, net.Homes[3]}, {rotated, net.Homes[2]}} {
		key, err := config.LoadKey(x.home.KeyPath())
		if err != nil {
			t.Fatal(err)
		}
		head := nd[0].Store().Head(x.n.Issuer())
		b, err := chain.NewBlock("member-test", head, [][]byte{chaintest.PaymentEntry(1, 1)}, key, act.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range nd {
			if _, err := n.Membership().ValidateBlock(b, head, clock.Now()); !errors.Is(err, chain.ErrNotMember) || !chain.IsProvable(err) {
				t.Fatalf("a block of %s after its end, on %s: %v", peerOf(x.n.Issuer()), peerOf(n.Issuer()), err)
			}
		}
		if errs, err := x.n.Submit(ctx, []records.Record{records.SamplePayment("late", 7, 10)}); err == nil && errs[0] == nil {
			t.Fatalf("%s still takes records after its end", peerOf(x.n.Issuer()))
		}
	}
	nb, err := chain.NewBlock("member-test", nil, [][]byte{chaintest.PaymentEntry(1, 1)}, newKey, act.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nd {
		if _, err := n.Membership().ValidateBlock(nb, nil, clock.Now()); err != nil {
			t.Fatalf("the new key's first block on %s: %v", peerOf(n.Issuer()), err)
		}
	}
	// Their history before the activation still verifies.
	for _, order := range []string{early3.OrderID, early2.OrderID} {
		for _, n := range nd[:2] {
			got, err := n.Payment(order)
			if err != nil || len(got.Records) != 1 || !got.Records[0].Verified {
				t.Fatalf("record %s on %s: %v %+v", order, peerOf(n.Issuer()), err, got)
			}
		}
	}
}

// A member is away (stopped: a partition of one) while a decision is
// approved and activates; when it comes back it syncs the chains and ends
// on the same membership as the others.
func TestPeerAwayDuringActivationEndsOnTheSameMembership(t *testing.T) {
	clock := new(offsetClock)
	net, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "member-away", Members: []devnet.Member{
		allRoles("a", "Member A"), allRoles("b", "Member B"), allRoles("c", "Member C"), allRoles("d", "Member D"),
	}, Tune: func(_ int, o *node.Options) { o.Now = clock.Now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := net.Stop(); err != nil {
			t.Errorf("stopping: %v", err)
		}
	})
	ctx := context.Background()
	a, b, d := net.Node(0), net.Node(1), net.Node(3)
	away := net.Node(2).Issuer()
	if err := net.StopPeer(2); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Propose(ctx, api.ProposeRequest{Kind: "param", ID: "threshold-2", Param: "approval_threshold", Value: "2"}); err != nil {
		t.Fatal(err)
	}
	ref := governance.Ref{Proposer: a.Issuer(), ID: "threshold-2"}
	for _, n := range []*node.Node{b, d} {
		awaitCond(t, "the proposal reaches "+peerOf(n.Issuer()), func() bool {
			_, ok := n.Membership().History().Outcome(ref)
			return ok
		})
		if _, err := n.Approve(ctx, api.ApproveRequest{ID: "threshold-2"}); err != nil {
			t.Fatal(err)
		}
	}
	awaitCond(t, "A holds the approvals", func() bool {
		o, ok := a.Membership().History().Outcome(ref)
		return ok && o.Status == governance.StatusPassed
	})
	clock.advance(time.Hour + time.Minute)
	if err := net.StartPeer(2); err != nil {
		t.Fatal(err)
	}
	back := net.Node(2)
	if back.Issuer() != away {
		t.Fatal("another peer came back")
	}
	awaitCond(t, "the returning member is on the others' membership", func() bool {
		var want string
		for i, n := range []*node.Node{a, b, back, d} {
			v, _ := n.Decisions()
			if v.Epoch != 1 || v.Params.ApprovalThreshold != 2 {
				return false
			}
			if i == 0 {
				want = outcomes(v)
			} else if outcomes(v) != want {
				return false
			}
		}
		return true
	})
}
