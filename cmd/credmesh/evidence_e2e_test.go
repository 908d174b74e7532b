package main_test

import (
	"crypto/ed25519"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/records"
)

// forkEvidence is evidence against the member of home: two headers its key
// signed at height 1.
func forkEvidence(t *testing.T, home string) *chain.Evidence {
	t.Helper()
	key, err := config.LoadKey(config.Home(home).KeyPath())
	if err != nil {
		t.Fatal(err)
	}
	var hs []*chain.SignedHeader
	for i := range 2 {
		h := chain.Header{NetworkID: "e2e-net", Issuer: chain.IssuerOf(key.Public().(ed25519.PublicKey)), Height: 1,
			Time: time.Now(), EntryCount: 1, EntriesRoot: chain.Hash{byte(i + 1)}}
		sh, err := chain.SignHeader(h, key)
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, sh)
	}
	return chain.NewEvidence(hs[0], hs[1])
}

func forksOf(t *testing.T, p *peerProc) []api.ForkStatus {
	t.Helper()
	var forks []api.ForkStatus
	if err := json.Unmarshal([]byte(mustRun(t, "evidence", "list", "--home", p.home, "--json")), &forks); err != nil {
		t.Fatal(err)
	}
	return forks
}

// A peer holding evidence against a member lists it; the operator
// acknowledges it with a note; status shows the acknowledgement, the
// evidence stays, and both survive a restart.
func TestEvidenceListAndAck(t *testing.T) {
	peers := setupNetwork(t, "Tax Bureau", "City Bank")
	tax, bank := peers[0], peers[1]
	st, err := store.Open(config.Home(tax.home).DataDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveEvidence(forkEvidence(t, bank.home)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	tax.start(t)

	forks := forksOf(t, tax)
	if len(forks) != 1 || forks[0].Name != "City Bank" || forks[0].Height != 1 || len(forks[0].Hashes) != 2 || forks[0].Acknowledged != nil {
		t.Fatalf("evidence list: %+v", forks)
	}
	if out := mustRun(t, "evidence", "list", "--home", tax.home); !strings.Contains(out, "City Bank") || !strings.Contains(out, "NO") {
		t.Fatalf("evidence list shows:\n%s", out)
	}
	if _, errOut, code := credmesh(t, "evidence", "ack", "City Bank", "--home", tax.home); code != 2 || !strings.Contains(errOut, "--note") {
		t.Fatalf("ack without a note: exit %d, %s", code, errOut)
	}
	if _, errOut, code := credmesh(t, "evidence", "ack", "Tax Bureau", "--note", "x", "--home", tax.home); code != 1 || !strings.Contains(errOut, "no equivocation evidence against") {
		t.Fatalf("ack of a member that did not fork: exit %d, %s", code, errOut)
	}
	const note = "restored from a stale backup; confirmed with their operations desk"
	if out := mustRun(t, "evidence", "ack", "city bank", "--note", note, "--home", tax.home); !strings.Contains(out, "acknowledged the fork of City Bank") {
		t.Fatalf("ack printed: %s", out)
	}
	check := func(when string) {
		t.Helper()
		s := status(t, tax)
		if len(s.Forks) != 1 || s.Forks[0].Acknowledged == nil || s.Forks[0].Acknowledged.Note != note {
			t.Fatalf("status %s: forks %+v", when, s.Forks)
		}
	}
	check("after the acknowledgement")
	if out := mustRun(t, "status", "--home", tax.home); !strings.Contains(out, "forks: 1 proven, 0 not acknowledged") {
		t.Fatalf("status shows:\n%s", out)
	}
	tax.stop()
	tax.start(t)
	check("after a restart")
}

// A member holding evidence against the issuer of a payment serves it to a
// light client: credmesh query payment exits 6 and prints the evidence
// (issuer, height, both header hashes) and the record, marked; --json
// carries the same.
func TestQueryPaymentOfForkedIssuerExits6(t *testing.T) {
	peers := setupNetwork(t, "Tax Bureau", "City Bank")
	tax, bank := peers[0], peers[1]
	startAll(t, peers...)
	rec := records.SamplePayment("tax", 7, 100)
	file := filepath.Join(t.TempDir(), "payments.csv")
	writeCSV(t, file, []records.Record{rec})
	if out := mustRun(t, "submit", "--home", tax.home, file); !strings.Contains(out, "1 accepted, 0 refused") {
		t.Fatalf("submit: %s", out)
	}
	eventually(t, 30*time.Second, "the bank holds the bureau's chain", func() bool {
		own := status(t, tax)
		want := heightOf(own, "Tax Bureau")
		return own.Pending == 0 && want > 0 && heightOf(status(t, bank), "Tax Bureau") == want
	})
	bank.stop()
	ev := forkEvidence(t, tax.home)
	st, err := store.Open(config.Home(bank.home).DataDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveEvidence(ev); err != nil {
		t.Fatal(err)
	}
	st.Close()
	bank.start(t)

	genesis := filepath.Join(bank.home, "genesis.json")
	out, errOut, code := credmesh(t, "query", "payment", rec.OrderID, "--genesis", genesis, "--witnesses", "0")
	if code != 6 || !strings.Contains(errOut, "equivocated") {
		t.Fatalf("query payment of a forked issuer: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"FORKED", "fork of Tax Bureau", ev.A.Hash.String(), ev.B.Hash.String(), "height    1", "its issuer is FORKED", rec.Period} {
		if !strings.Contains(out, want) {
			t.Fatalf("%q missing from:\n%s", want, out)
		}
	}
	jsonOut, _, code := credmesh(t, "query", "payment", rec.OrderID, "--genesis", genesis, "--witnesses", "0", "--json")
	var v api.PaymentLookup
	if err := json.Unmarshal([]byte(jsonOut), &v); code != 6 || err != nil {
		t.Fatalf("--json: exit %d, %v:\n%s", code, err, jsonOut)
	}
	if len(v.Records) != 1 || !v.Records[0].Forked || len(v.Forks) != 1 || v.Forks[0].Name != "Tax Bureau" ||
		v.Forks[0].Height != 1 || len(v.Forks[0].Hashes) != 2 || len(v.Forks[0].ServedBy) == 0 {
		t.Fatalf("--json of a fork:\n%s", jsonOut)
	}
}
