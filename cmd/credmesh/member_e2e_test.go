package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/records"
)

// setupGovernedNetwork is setupNetwork with a short activation delay and
// an approval threshold.
func setupGovernedNetwork(t *testing.T, threshold int, delay time.Duration, names ...string) []*peerProc {
	t.Helper()
	dir := t.TempDir()
	var peers []*peerProc
	args := []string{"genesis", "new", "--network", "e2e-net", "--approval-threshold", strconv.Itoa(threshold), "--activation-delay", delay.String()}
	for _, name := range names {
		p := newHome(t, dir, name)
		args = append(args, "--member", p.home)
		peers = append(peers, p)
	}
	mustRun(t, args...)
	return peers
}

// newHome runs credmesh init for an institution on loopback.
func newHome(t *testing.T, dir, name string) *peerProc {
	t.Helper()
	p := &peerProc{home: filepath.Join(dir, strings.ReplaceAll(strings.ToLower(name), " ", "-")), apiPort: freePort(t)}
	mustRun(t, "init", "--home", p.home, "--name", name, "--listen-ip", "127.0.0.1",
		"--p2p-port", strconv.Itoa(freePort(t)), "--api-port", strconv.Itoa(p.apiPort))
	return p
}

// copyGenesis puts the network's genesis.json and subject.secret of from
// into to's home, as an operator copies them to a newcomer.
func copyGenesis(t *testing.T, from, to *peerProc) {
	t.Helper()
	for _, f := range []string{"genesis.json", "subject.secret"} {
		data, err := os.ReadFile(filepath.Join(from.home, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to.home, f), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func membership(t *testing.T, p *peerProc) api.MembershipView {
	t.Helper()
	var v api.MembershipView
	out := mustRun(t, "member", "list", "--home", p.home, "--json")
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("member list --json: %v\n%s", err, out)
	}
	return v
}

func proposalOf(v api.MembershipView, id string) *api.ProposalView {
	for i := range v.Proposals {
		if v.Proposals[i].ID == id {
			return &v.Proposals[i]
		}
	}
	return nil
}

func hasMember(v api.MembershipView, peerID string) bool {
	for _, m := range v.Members {
		if m.PeerID == peerID {
			return true
		}
	}
	return false
}

// A 4-member network admits a fifth member with 3-of-4 approvals, every
// peer its own process, nobody restarted: the newcomer starts with the
// original genesis, syncs every chain, writes from its activation on, its
// blocks reach every member, and a light client holding only the original
// genesis verifies its payment.
func TestNewcomerIsAdmittedWithoutANewGenesis(t *testing.T) {
	peers := setupGovernedNetwork(t, 3, 2*time.Second, "Tax Bureau", "Bank A", "Bank B", "Lender C")
	startAll(t, peers...)
	file := filepath.Join(t.TempDir(), "payments.csv")
	var recs []records.Record
	for n := range 20 {
		recs = append(recs, records.SamplePayment("tax", n, 100))
	}
	writeCSV(t, file, recs)
	mustRun(t, "submit", "--home", peers[0].home, file)

	fund := newHome(t, filepath.Dir(peers[0].home), "Housing Fund")
	copyGenesis(t, peers[0], fund)
	fund.start(t) // not a member yet: it runs, and waits to be let in
	fundID := status(t, fund).PeerID

	// Errors a proposer and approvers get, before anything is written.
	if _, errOut, code := credmesh(t, "member", "propose", "add", fundID, "--name", "Housing Fund", "--role", "payments",
		"--home", peers[0].home, "--activate-in", "1s"); code != 1 || !strings.Contains(errOut, "too soon") {
		t.Fatalf("an activation within the delay: exit %d: %s", code, errOut)
	}
	if _, errOut, code := credmesh(t, "member", "approve", "no-such-proposal", "--home", peers[1].home); code != 1 || !strings.Contains(errOut, "no proposal") {
		t.Fatalf("approving an unknown proposal: exit %d: %s", code, errOut)
	}
	if _, errOut, code := credmesh(t, "member", "propose", "param", "approval_threshold", "3", "--home", fund.home); code != 1 || !strings.Contains(errOut, "not a member") {
		t.Fatalf("a proposal of a non-member: exit %d: %s", code, errOut)
	}

	var w api.DecisionWritten
	out := mustRun(t, "member", "propose", "add", "--from-home", fund.home, "--role", "payments", "--id", "admit-fund",
		"--reason", "joins the consortium", "--home", peers[0].home, "--activate-in", "20s", "--json")
	if err := json.Unmarshal([]byte(out), &w); err != nil || w.ID != "admit-fund" {
		t.Fatalf("propose --json: %v\n%s", err, out)
	}
	if _, errOut, code := credmesh(t, "member", "propose", "add", fundID, "--name", "X", "--role", "payments", "--id", "admit-fund",
		"--home", peers[0].home, "--activate-in", "30s"); code != 1 || !strings.Contains(errOut, "admit-fund") {
		t.Fatalf("a proposal ID used twice: exit %d: %s", code, errOut)
	}
	for _, p := range peers[1:3] {
		eventually(t, 30*time.Second, p.home+" holds the proposal", func() bool {
			return proposalOf(membership(t, p), "admit-fund") != nil
		})
		mustRun(t, "member", "approve", "admit-fund", "--home", p.home)
		if _, errOut, code := credmesh(t, "member", "approve", "admit-fund", "--home", p.home); code != 1 || !strings.Contains(errOut, "already") {
			t.Fatalf("approving twice: exit %d: %s", code, errOut)
		}
	}
	if _, errOut, code := credmesh(t, "member", "approve", "admit-fund", "--home", peers[0].home); code != 1 || !strings.Contains(errOut, "own proposal") {
		t.Fatalf("approving one's own: exit %d: %s", code, errOut)
	}
	text := ""
	eventually(t, 30*time.Second, "Lender C sees the proposal approved, pending", func() bool {
		p := proposalOf(membership(t, peers[3]), "admit-fund")
		text = mustRun(t, "member", "list", "--home", peers[3].home)
		return p != nil && p.Passed && p.State == "pending" && len(p.Approvals) == 3
	})
	if !strings.Contains(text, "admit-fund") || !strings.Contains(text, "pending (approved)") || !strings.Contains(text, "3 of 3") {
		t.Fatalf("member list:\n%s", text)
	}

	// The newcomer is let in to sync before its activation, learns the
	// decision from the chains it syncs, and signs from the activation on.
	eventually(t, 60*time.Second, "every peer has the newcomer in force", func() bool {
		for _, p := range append(peers, fund) {
			v := membership(t, p)
			if v.Epoch != 1 || len(v.Members) != 5 || !hasMember(v, fundID) {
				return false
			}
		}
		return true
	})
	waitSealing(t, fund)
	fundFile := filepath.Join(t.TempDir(), "fund.csv")
	fundRecs := []records.Record{records.SamplePayment("fund", 1, 100), records.SamplePayment("fund", 2, 100)}
	writeCSV(t, fundFile, fundRecs)
	if out := mustRun(t, "submit", "--home", fund.home, fundFile); !strings.Contains(out, "2 accepted, 0 refused") {
		t.Fatalf("the newcomer's submission: %s", out)
	}
	eventually(t, 60*time.Second, "every chain is on every peer, the newcomer's too", func() bool {
		all := append(peers, fund)
		want := map[string]uint64{}
		for _, p := range all {
			st := status(t, p)
			h, _ := headOf(st, st.Name)
			if st.Pending > 0 || st.Name == "Housing Fund" && h == 0 {
				return false
			}
			want[st.Name] = h
		}
		for _, p := range all {
			st := status(t, p)
			for name, h := range want {
				if heightOf(st, name) < h {
					return false
				}
			}
		}
		return true
	})

	// A light client with the original genesis verifies the newcomer's
	// payment, following the decision from the genesis.
	genesis := filepath.Join(peers[1].home, "genesis.json")
	var qout, qerr string
	eventually(t, 30*time.Second, "a light client verifies the newcomer's payment", func() bool {
		var code int
		qout, qerr, code = credmesh(t, "query", "payment", fundRecs[0].OrderID, "--genesis", genesis, "--witnesses", "0")
		return code == 0
	})
	if !strings.Contains(qout, "verified") || !strings.Contains(qout, fundRecs[0].Period) {
		t.Fatalf("query payment of the newcomer's record:\n%s%s", qout, qerr)
	}
	batch := filepath.Join(t.TempDir(), "orders.txt")
	if err := os.WriteFile(batch, []byte(fundRecs[0].OrderID+"\n"+recs[3].OrderID+"\n"+fundRecs[1].OrderID+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bout, berr, code := credmesh(t, "query", "payment", "--batch", batch, "--genesis", genesis, "--witnesses", "0")
	if code != 0 || strings.Count(bout, "\tverified\t") != 3 {
		t.Fatalf("query payment --batch of the newcomer's and the tax bureau's records: exit %d\n%s%s", code, bout, berr)
	}
}
