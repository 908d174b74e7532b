package governance_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/governance"
)

// t0 is the genesis time of the test networks; the activation delay is
// an hour.
var t0 = chaintest.Epoch

const delay = time.Hour

func at(d time.Duration) time.Time { return t0.Add(d) }

func id(n int) chain.IssuerID { return chaintest.Issuer(n) }

// world is a network of n genesis members (keys 0..n-1, every role) and
// the decision entries written on their chains, in order of writing.
type world struct {
	t      *testing.T
	g      governance.Genesis
	writes []write
}

type write struct {
	issuer chain.IssuerID
	time   time.Time
	data   []byte
	entry  *chainpb.Entry
}

func newWorld(t *testing.T, n int) *world {
	w := &world{t: t, g: governance.Genesis{Time: t0, Params: governance.Params{ActivationDelay: delay}}}
	for i := range n {
		w.g.Members = append(w.g.Members, governance.Member{Issuer: id(i), Name: "member " + string(rune('A'+i)), Roles: chain.AllRoles, Addrs: []string{"/ip4/127.0.0.1/tcp/1"}})
	}
	return w
}

// put writes e on issuer's chain in a block of time bt and returns its
// bytes.
func (w *world) put(issuer int, bt time.Time, e *chainpb.Entry) []byte {
	w.t.Helper()
	data, err := chain.EncodeEntry(e)
	if err != nil {
		w.t.Fatal(err)
	}
	w.writes = append(w.writes, write{issuer: id(issuer), time: bt, data: data, entry: e})
	return data
}

// propose writes proposal e of member n and returns what approvals name.
func (w *world) propose(n int, bt time.Time, e *chainpb.Entry) proposal {
	return proposal{proposer: id(n), id: e.GetProposal().ProposalId, data: w.put(n, bt, e)}
}

type proposal struct {
	proposer chain.IssuerID
	id       string
	data     []byte
}

func (p proposal) ref() governance.Ref { return governance.Ref{Proposer: p.proposer, ID: p.id} }

// approve writes member n's approval of p in a block of time bt.
func (w *world) approve(n int, bt time.Time, p proposal) {
	w.put(n, bt, governance.ApprovalEntry(p.proposer, p.id, p.data))
}

// heads records a block of time bt on each listed member's chain (a
// payment, as far as governance cares: nothing but the time).
func (w *world) heads(bt time.Time, members ...int) {
	for _, n := range members {
		w.writes = append(w.writes, write{issuer: id(n), time: bt})
	}
}

// log returns the log of every write, added in order.
func (w *world) log() *governance.Log {
	return w.logOf(w.writes)
}

func (w *world) logOf(ws []write) *governance.Log {
	l := governance.NewLog()
	for _, x := range ws {
		if x.entry == nil {
			l.SetHead(x.issuer, x.time)
			continue
		}
		l.Add(x.issuer, x.time, x.data, x.entry)
	}
	return l
}

// history computes the history of every write, and checks that it does
// not depend on the order in which the writes were added.
func (w *world) history() *governance.History {
	w.t.Helper()
	h := governance.Compute(w.g, w.log())
	want := summary(h)
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		ws := append([]write(nil), w.writes...)
		r.Shuffle(len(ws), func(i, j int) { ws[i], ws[j] = ws[j], ws[i] })
		if got := summary(governance.Compute(w.g, w.logOf(ws))); got != want {
			w.t.Fatalf("the history depends on the order entries were added:\n%s\nvs\n%s", got, want)
		}
	}
	return h
}

// summary prints a history's epochs and outcomes.
func summary(h *governance.History) string {
	s := ""
	for _, e := range h.Epochs() {
		s += e.Start.Format(time.RFC3339Nano) + ":"
		for _, m := range e.Sorted() {
			s += " " + m.Issuer.Short() + "/" + m.Roles.String()
		}
		s += "\n"
	}
	for _, o := range h.Outcomes() {
		s += o.ID + " " + o.Status.String() + " " + o.Reason + "\n"
		for _, a := range o.Approvers {
			s += " +" + a.Short()
		}
		s += "\n"
	}
	return s
}

// members returns the keys of the members at t, as member numbers of
// keys 0..9 (-1 for another key).
func members(h *governance.History, t time.Time) map[int]bool {
	out := map[int]bool{}
	for k := range h.At(t).Members {
		n := -1
		for i := range 10 {
			if id(i) == k {
				n = i
			}
		}
		out[n] = true
	}
	return out
}

func wantMembers(t *testing.T, h *governance.History, tm time.Time, want ...int) {
	t.Helper()
	got := members(h, tm)
	if len(got) != len(want) {
		t.Fatalf("members at %s: %v, want %v", tm.Sub(t0), got, want)
	}
	for _, n := range want {
		if !got[n] {
			t.Fatalf("members at %s: %v, want %v", tm.Sub(t0), got, want)
		}
	}
}

func wantStatus(t *testing.T, h *governance.History, p proposal, want governance.Status) *governance.Outcome {
	t.Helper()
	o, ok := h.Outcome(p.ref())
	if !ok {
		t.Fatalf("no outcome of %s", p.id)
	}
	if o.Status != want {
		t.Fatalf("%s: %s (%s), want %s", p.id, o.Status, o.Reason, want)
	}
	return o
}

func newcomer(n int) governance.Member {
	return governance.Member{Issuer: id(n), Name: "newcomer", Roles: chain.RolePayments, Addrs: []string{"/ip4/127.0.0.1/tcp/9"}}
}
