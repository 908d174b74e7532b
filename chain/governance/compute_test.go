package governance_test

import (
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/governance"
)

func TestAdmitWithThreeOfFour(t *testing.T) {
	w := newWorld(t, 4)
	act := at(3 * time.Hour)
	p := w.propose(0, at(time.Hour), governance.AdmitEntry("admit-e", act, newcomer(4), "joins"))
	w.approve(1, at(90*time.Minute), p)
	w.approve(2, at(100*time.Minute), p)
	h := w.history()
	o := wantStatus(t, h, p, governance.StatusPassed)
	if len(o.Approvers) != 3 || o.Needed != 3 || o.Approvers[0] != id(0) {
		t.Fatalf("approvers %v, needed %d", o.Approvers, o.Needed)
	}
	wantMembers(t, h, act.Add(-time.Millisecond), 0, 1, 2, 3)
	wantMembers(t, h, act, 0, 1, 2, 3, 4)
	e := h.At(act)
	if e.Number != 1 || !e.Start.Equal(act) || e.Decision.Ref != p.ref() {
		t.Fatalf("epoch %d from %s by %v", e.Number, e.Start, e.Decision)
	}
	m := e.Members[id(4)]
	if m.Name != "newcomer" || m.Roles != chain.RolePayments || !m.Since.Equal(act) || len(m.Addrs) != 1 {
		t.Fatalf("admitted member %+v", m)
	}
	if e.Needed() != 3 { // a majority of 5
		t.Fatalf("needed among 5: %d", e.Needed())
	}
}

func TestTwoOfFourIsShort(t *testing.T) {
	w := newWorld(t, 4)
	act := at(3 * time.Hour)
	p := w.propose(0, at(time.Hour), governance.AdmitEntry("admit-e", act, newcomer(4), ""))
	w.approve(1, at(90*time.Minute), p)
	h := w.history()
	o := wantStatus(t, h, p, governance.StatusShort)
	wantMembers(t, h, act, 0, 1, 2, 3)
	// Members 2 and 3 have no block at or after the activation: their
	// approvals might be on their way.
	if !o.Unsettled || h.Settled(act, id(4)) || h.SettledAll(act) {
		t.Fatal("a short outcome with approvers behind is settled")
	}
	if !h.Settled(act, id(1)) || !h.Settled(act.Add(-time.Millisecond), id(4)) {
		t.Fatal("an unsettled admission unsettles other keys or earlier times")
	}
	w.heads(act, 2, 3)
	h = w.history()
	if o := wantStatus(t, h, p, governance.StatusShort); o.Unsettled || !h.Settled(act, id(4)) {
		t.Fatal("a short outcome stays unsettled once every member's chain is past the activation")
	}
}

func TestApprovalAtOrAfterActivationDoesNotCount(t *testing.T) {
	w := newWorld(t, 4)
	act := at(3 * time.Hour)
	p := w.propose(0, at(time.Hour), governance.AdmitEntry("admit-e", act, newcomer(4), ""))
	w.approve(1, at(2*time.Hour), p)
	w.approve(2, act, p)                  // at the activation: too late
	w.approve(3, act.Add(time.Minute), p) // after
	h := w.history()
	o := wantStatus(t, h, p, governance.StatusShort)
	if len(o.Uncounted) != 2 || len(o.Approvers) != 2 {
		t.Fatalf("approvers %v, uncounted %d", o.Approvers, len(o.Uncounted))
	}
	if o.Unsettled {
		t.Fatal("late approvals show the chains are past the activation: settled")
	}
	wantMembers(t, h, act.Add(24*time.Hour), 0, 1, 2, 3)
}

func TestApprovalByMemberRemovedBeforeActivation(t *testing.T) {
	w := newWorld(t, 4)
	rm := w.propose(0, at(time.Hour), governance.RemoveEntry("rm-d", at(3*time.Hour), id(3), "leaves"))
	w.approve(1, at(time.Hour), rm)
	w.approve(2, at(time.Hour), rm)
	act := at(5 * time.Hour)
	adm := w.propose(1, at(time.Hour), governance.AdmitEntry("admit-e", act, newcomer(4), ""))
	w.approve(3, at(2*time.Hour), adm) // valid when written, but 3 is gone at the activation
	w.approve(2, at(4*time.Hour), adm)
	h := w.history()
	wantStatus(t, h, rm, governance.StatusPassed)
	o := wantStatus(t, h, adm, governance.StatusPassed) // 1 and 2 of the 3 remaining: a majority
	if len(o.Approvers) != 2 || len(o.Uncounted) != 1 || o.Uncounted[0].Approver != id(3) {
		t.Fatalf("approvers %v, uncounted %v", o.Approvers, o.Uncounted)
	}
	wantMembers(t, h, at(4*time.Hour), 0, 1, 2)
	wantMembers(t, h, act, 0, 1, 2, 4)
	if !h.Retired(id(3), at(3*time.Hour)) || h.Retired(id(3), at(3*time.Hour).Add(-time.Millisecond)) {
		t.Fatal("the removed key is not retired from its removal")
	}
}

func TestApprovalOfOtherBytesDoesNotCount(t *testing.T) {
	w := newWorld(t, 3)
	act := at(3 * time.Hour)
	p := w.propose(0, at(time.Hour), governance.AdmitEntry("admit-e", act, newcomer(4), ""))
	other := proposal{proposer: p.proposer, id: p.id, data: []byte("other bytes")}
	w.approve(1, at(time.Hour), other)
	h := w.history()
	if o := wantStatus(t, h, p, governance.StatusShort); len(o.Uncounted) != 1 {
		t.Fatalf("uncounted %v", o.Uncounted)
	}
}

func TestRacingRemoveAndRotateOfOneMember(t *testing.T) {
	w := newWorld(t, 4)
	act := at(3 * time.Hour)
	// Both activate at once: the one of the lower proposer key goes first.
	a := w.propose(0, at(time.Hour), governance.RemoveEntry("x", act, id(3), ""))
	b := w.propose(1, at(time.Hour), governance.RotateEntry("x", act, id(3), id(5), nil, ""))
	for _, n := range []int{1, 2} {
		w.approve(n, at(2*time.Hour), a)
	}
	for _, n := range []int{0, 2, 3} {
		w.approve(n, at(2*time.Hour), b)
	}
	h := w.history()
	first, second := a, b
	if compare(id(1), id(0)) < 0 {
		first, second = b, a
	}
	wantStatus(t, h, first, governance.StatusPassed)
	o := wantStatus(t, h, second, governance.StatusVoid)
	if o.Reason == "" {
		t.Fatal("a void outcome without a reason")
	}
	if _, ok := h.At(act).Members[id(3)]; ok {
		t.Fatal("member 3 survived both")
	}
}

func compare(a, b chain.IssuerID) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}

func TestRacingAdmissionsOfOneKey(t *testing.T) {
	w := newWorld(t, 3)
	a := w.propose(0, at(time.Hour), governance.AdmitEntry("a", at(4*time.Hour), newcomer(4), ""))
	b := w.propose(1, at(time.Hour), governance.AdmitEntry("b", at(3*time.Hour), newcomer(4), ""))
	w.approve(1, at(time.Hour), a)
	w.approve(2, at(time.Hour), b)
	h := w.history()
	wantStatus(t, h, b, governance.StatusPassed) // earlier activation first
	wantStatus(t, h, a, governance.StatusVoid)
	if e := h.At(at(5 * time.Hour)); e.Number != 1 {
		t.Fatalf("epoch %d, want 1", e.Number)
	}
}

func TestRotateKey(t *testing.T) {
	w := newWorld(t, 3)
	act := at(3 * time.Hour)
	p := w.propose(2, at(time.Hour), governance.RotateEntry("rot", act, id(2), id(7), []string{"/ip4/127.0.0.1/tcp/7"}, "compromised"))
	w.approve(0, at(time.Hour), p)
	h := w.history()
	wantStatus(t, h, p, governance.StatusPassed)
	wantMembers(t, h, act.Add(-time.Millisecond), 0, 1, 2)
	wantMembers(t, h, act, 0, 1, 7)
	m := h.At(act).Members[id(7)]
	if m.Name != "member C" || m.Roles != chain.AllRoles || m.Previous != id(2) || m.Addrs[0] != "/ip4/127.0.0.1/tcp/7" {
		t.Fatalf("rotated member %+v", m)
	}
	// The old key is retired: it cannot be admitted again, nor rotated to.
	back := w.propose(0, at(4*time.Hour), governance.AdmitEntry("back", at(6*time.Hour), governance.Member{Issuer: id(2), Name: "again", Roles: chain.RoleQuery}, ""))
	w.approve(1, at(4*time.Hour), back)
	h = w.history()
	wantStatus(t, h, back, governance.StatusVoid)
}

func TestParamChanges(t *testing.T) {
	w := newWorld(t, 4)
	th := w.propose(0, at(time.Hour), governance.ParamEntry("th", at(3*time.Hour), governance.ParamThreshold, "4", ""))
	w.approve(1, at(time.Hour), th)
	w.approve(2, at(time.Hour), th)
	fee := w.propose(0, at(time.Hour), governance.ParamEntry("fee", at(3*time.Hour), governance.ParamQueryFee, "150 CNY", ""))
	w.approve(1, at(time.Hour), fee)
	w.approve(2, at(time.Hour), fee)
	dl := w.propose(0, at(time.Hour), governance.ParamEntry("dl", at(3*time.Hour), governance.ParamActivationDelay, "2h", ""))
	w.approve(1, at(time.Hour), dl)
	w.approve(2, at(time.Hour), dl)
	// Three of four no longer suffice after the threshold change.
	adm := w.propose(1, at(4*time.Hour), governance.AdmitEntry("adm", at(7*time.Hour), newcomer(4), ""))
	w.approve(0, at(4*time.Hour), adm)
	w.approve(2, at(4*time.Hour), adm)
	// Proposed an hour and a half ahead: the delay is 2 h by then.
	soon := w.propose(2, at(4*time.Hour), governance.RemoveEntry("soon", at(5*time.Hour+30*time.Minute), id(3), ""))
	bad := w.propose(3, at(time.Hour), governance.ParamEntry("bad", at(3*time.Hour), governance.ParamThreshold, "lots", ""))
	h := w.history()
	for _, p := range []proposal{th, fee, dl} {
		wantStatus(t, h, p, governance.StatusPassed)
	}
	wantStatus(t, h, adm, governance.StatusShort)
	wantStatus(t, h, soon, governance.StatusVoid)
	wantStatus(t, h, bad, governance.StatusVoid)
	e := h.At(at(3 * time.Hour))
	if e.Params.Threshold != 4 || e.Params.QueryFeeMinor != 150 || e.Params.FeeCurrency != "CNY" || e.Params.ActivationDelay != 2*time.Hour {
		t.Fatalf("params %+v", e.Params)
	}
	cp := e.ChainParams(chain.DefaultParams("n"))
	if cp.QueryFeeMinor != 150 || cp.ActivationDelay != 2*time.Hour {
		t.Fatalf("chain params %+v", cp)
	}
	if p := h.At(at(2 * time.Hour)).Params; p.Threshold != 0 || p.ActivationDelay != delay {
		t.Fatalf("params before the change %+v", p)
	}
}

func TestVoidProposals(t *testing.T) {
	w := newWorld(t, 2)
	cases := []struct {
		name string
		p    proposal
	}{
		{"too soon", w.propose(0, at(time.Hour), governance.RemoveEntry("soon", at(time.Hour+delay-time.Millisecond), id(1), ""))},
		{"remove non-member", w.propose(0, at(time.Hour), governance.RemoveEntry("nm", at(3*time.Hour), id(5), ""))},
		{"rotate non-member", w.propose(0, at(time.Hour), governance.RotateEntry("rnm", at(3*time.Hour), id(5), id(6), nil, ""))},
		{"rotate to member", w.propose(0, at(time.Hour), governance.RotateEntry("rtm", at(3*time.Hour), id(0), id(1), nil, ""))},
		{"admit member", w.propose(0, at(time.Hour), governance.AdmitEntry("am", at(3*time.Hour), governance.Member{Issuer: id(1), Name: "x", Roles: 1}, ""))},
		{"proposer not a member", w.propose(5, at(time.Hour), governance.AdmitEntry("pnm", at(3*time.Hour), newcomer(6), ""))},
		{"before genesis", w.propose(0, at(-time.Hour), governance.AdmitEntry("bg", at(3*time.Hour), newcomer(7), ""))},
		{"unknown param", w.propose(0, at(time.Hour), governance.ParamEntry("up", at(3*time.Hour), "block_interval", "2s", ""))},
	}
	for _, c := range cases {
		w.approve(1, at(time.Hour), c.p)
	}
	h := w.history()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantStatus(t, h, c.p, governance.StatusVoid) })
	}
	wantMembers(t, h, at(10*time.Hour), 0, 1)
}

func TestLastMemberIsNotRemoved(t *testing.T) {
	w := newWorld(t, 2)
	a := w.propose(0, at(time.Hour), governance.RemoveEntry("a", at(3*time.Hour), id(1), ""))
	w.approve(1, at(time.Hour), a)
	b := w.propose(1, at(time.Hour), governance.RemoveEntry("b", at(4*time.Hour), id(0), ""))
	w.approve(0, at(time.Hour), b) // member 1 is gone by b's activation: short anyway
	h := w.history()
	wantStatus(t, h, a, governance.StatusPassed)
	if s := wantStatus(t, h, b, governance.StatusVoid); s.Reason == "" {
		t.Fatal("no reason")
	}
	wantMembers(t, h, at(5*time.Hour), 0)
}

func TestNeeded(t *testing.T) {
	for _, c := range []struct{ threshold, n, want int }{
		{0, 1, 1}, {0, 2, 2}, {0, 3, 2}, {0, 4, 3}, {0, 5, 3}, {0, 7, 4},
		{2, 4, 2}, {5, 4, 4}, {1, 9, 1}, {3, 0, 1},
	} {
		if got := (governance.Params{Threshold: c.threshold}).Needed(c.n); got != c.want {
			t.Errorf("threshold %d of %d: %d, want %d", c.threshold, c.n, got, c.want)
		}
	}
}

func TestSetParam(t *testing.T) {
	for _, c := range []struct {
		name, value string
		ok          bool
	}{
		{governance.ParamThreshold, "3", true}, {governance.ParamThreshold, "0", true},
		{governance.ParamThreshold, "-1", false}, {governance.ParamThreshold, "03", false}, {governance.ParamThreshold, "1001", false},
		{governance.ParamActivationDelay, "24h", true}, {governance.ParamActivationDelay, "500ms", false}, {governance.ParamActivationDelay, "3000h", false},
		{governance.ParamQueryFee, "0", true}, {governance.ParamQueryFee, "200 CNY", true}, {governance.ParamQueryFee, "200", false},
		{governance.ParamQueryFee, "0 CNY", false}, {governance.ParamQueryFee, "200 ABC", false}, {governance.ParamQueryFee, "-5 CNY", false},
		{"max_block_bytes", "1", false},
	} {
		_, err := governance.SetParam(governance.Params{}, c.name, c.value)
		if (err == nil) != c.ok {
			t.Errorf("%s=%q: %v", c.name, c.value, err)
		}
	}
}

func TestDuplicateEntriesKeepTheFirst(t *testing.T) {
	w := newWorld(t, 3)
	p := w.propose(0, at(time.Hour), governance.AdmitEntry("x", at(3*time.Hour), newcomer(4), ""))
	l := w.log()
	e := governance.RemoveEntry("x", at(5*time.Hour), id(1), "")
	data, _ := chain.EncodeEntry(e)
	if l.Add(id(0), at(2*time.Hour), data, e) {
		t.Fatal("a second proposal under one key was taken")
	}
	if got, _ := l.Proposal(p.ref()); got.Body.GetAdmit() == nil {
		t.Fatal("the first proposal was replaced")
	}
}

func TestPending(t *testing.T) {
	w := newWorld(t, 3)
	a := w.propose(0, at(time.Hour), governance.AdmitEntry("a", at(5*time.Hour), newcomer(4), ""))
	b := w.propose(1, at(time.Hour), governance.RemoveEntry("b", at(3*time.Hour), id(2), ""))
	h := w.history()
	got := h.Pending(at(2 * time.Hour))
	if len(got) != 2 || got[0].Ref != b.ref() || got[1].Ref != a.ref() {
		t.Fatalf("pending %v", got)
	}
	if got := h.Pending(at(4 * time.Hour)); len(got) != 1 {
		t.Fatalf("pending after b: %d", len(got))
	}
}
