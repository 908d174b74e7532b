package main_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/chain/store/storetest"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/credmesh/credmesh/records"
	"github.com/libp2p/go-libp2p/core/peer"
)

// A table damaged while the peer is stopped is named by `credmesh check`
// (exit 1), and after a restart the first read that meets it answers an
// error, status and /metrics show the store unhealthy, and nothing panics.
func TestCorruptTableIsAnErrorNotAPanic(t *testing.T) {
	peers := setupNetwork(t, "Tax Bureau", "Bank A")
	tax, bank := peers[0], peers[1]
	startAll(t, tax, bank)
	file := filepath.Join(t.TempDir(), "payments.csv")
	var recs []records.Record
	for n := range 500 {
		recs = append(recs, records.SamplePayment("tax", n, 100))
	}
	writeCSV(t, file, recs)
	if out := mustRun(t, "submit", "--home", tax.home, file); !strings.Contains(out, "500 accepted") {
		t.Fatalf("submit: %s", out)
	}
	var issuer string
	eventually(t, 30*time.Second, "the bank holds the tax bureau's whole chain", func() bool {
		st := status(t, tax)
		for _, c := range st.Chains {
			if c.Name == "Tax Bureau" {
				issuer = c.Issuer
			}
		}
		h := heightOf(st, "Tax Bureau")
		return st.Pending == 0 && h > 0 && heightOf(status(t, bank), "Tax Bureau") == h
	})

	// An entry in the middle of the chain, away from the head keys the
	// peer reads when it starts, and the order ID of its payment.
	height := (heightOf(status(t, tax), "Tax Bureau") + 1) / 2
	b, err := tax.client().Block(context.Background(), issuer, height)
	if err != nil {
		t.Fatal(err)
	}
	index := len(b.Entries) / 2
	order := ""
	for _, r := range recs {
		l := privacy.Lookup("e2e-net", r.OrderID)
		if "01"+hex.EncodeToString(l[:]) == b.Entries[index].Key {
			order = r.OrderID
		}
	}
	if order == "" {
		t.Fatalf("no submitted record is entry %d of block %d", index, height)
	}

	// Every other kind of entry and index key, for check to pass over:
	// published negative credit events (subject and expiry postings) and
	// the receipts of a report (querier postings).
	loans := filepath.Join(t.TempDir(), "loans.jsonl")
	var lines []string
	for _, r := range records.SampleCreditEvents("bank-a", 0, 100) {
		b, _ := json.Marshal(r)
		lines = append(lines, string(b))
	}
	os.WriteFile(loans, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	if out := mustRun(t, "credit", "import", "--publish", "--home", bank.home, loans); !strings.Contains(out, "0 refused") {
		t.Fatalf("credit import: %s", out)
	}
	subject := records.SampleCreditEvents("bank-a", 0, 100)[0].Subject.ID
	mustRun(t, "report", subject, "--home", bank.home, "--purpose", "loan_application", "--consent", "C-1")
	eventually(t, 30*time.Second, "both peers hold both chains", func() bool {
		a, b := status(t, tax), status(t, bank)
		return a.Pending == 0 && b.Pending == 0 && heightOf(b, "Bank A") > 0 &&
			heightOf(a, "Bank A") == heightOf(b, "Bank A") && heightOf(a, "Tax Bureau") == heightOf(b, "Tax Bureau")
	})
	tax.stop()
	bank.stop()
	for _, p := range peers {
		if out, errOut, code := credmesh(t, "check", "--home", p.home); code != 0 || !strings.Contains(out, "OK: no problems found") {
			t.Fatalf("check of a sound store: exit %d\n%s%s", code, out, errOut)
		}
	}

	data := config.Home(tax.home).DataDir()
	if err := storetest.Flush(data); err != nil {
		t.Fatal(err)
	}
	id, err := peer.Decode(issuer)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := peerid.Issuer(id)
	if err != nil {
		t.Fatal(err)
	}
	table, err := storetest.CorruptBlockOf(data, storetest.EntryKey(iss, height, uint32(index)))
	if err != nil {
		t.Fatal(err)
	}

	out, errOut, code := credmesh(t, "check", "--home", tax.home)
	if code != 1 || !strings.Contains(out, "table "+table) || !strings.Contains(out, "chain Tax Bureau") || !strings.Contains(errOut, "damaged") {
		t.Fatalf("check of a damaged store: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "chain Tax Bureau") {
		t.Fatalf("check printed no progress per chain:\n%s", errOut)
	}
	var rep struct {
		Problems []struct{ Kind, File string } `json:"problems"`
	}
	out, _, code = credmesh(t, "check", "--home", tax.home, "--json")
	if err := json.Unmarshal([]byte(out), &rep); code != 1 || err != nil || len(rep.Problems) == 0 || rep.Problems[0].Kind != "table" || rep.Problems[0].File != table {
		t.Fatalf("check --json: exit %d, %v\n%s", code, err, out)
	}
	// A running peer's store is refused, not read under it.
	bank.start(t)
	if _, errOut, code := credmesh(t, "check", "--home", bank.home); code != 1 || !strings.Contains(errOut, "stop the peer") {
		t.Fatalf("check of a running peer: exit %d: %s", code, errOut)
	}

	tax.start(t)
	if st := status(t, tax); !st.Store.Healthy {
		t.Fatalf("unhealthy before any read met the damage: %+v", st.Store)
	}
	var apiErr *api.Error
	eventually(t, 30*time.Second, "reading the damaged block answers a store error", func() bool {
		_, err := tax.client().Block(context.Background(), issuer, height)
		return errors.As(err, &apiErr) && apiErr.Status == http.StatusInternalServerError && strings.Contains(apiErr.Message, "corrupt")
	})
	if _, err := tax.client().Payment(context.Background(), order); !errors.As(err, &apiErr) || apiErr.Status != http.StatusInternalServerError {
		t.Fatalf("payment in the damaged block: %v", err)
	}
	st := status(t, tax)
	if st.Store.Healthy || !strings.Contains(st.Store.Error, table) || st.Store.Corruptions == 0 {
		t.Fatalf("status after the damage was met: %+v", st.Store)
	}
	if text := mustRun(t, "status", "--home", tax.home); !strings.Contains(text, "store: UNHEALTHY") {
		t.Fatalf("status text:\n%s", text)
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", tax.apiPort))
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), "credmesh_store_healthy 0") {
		t.Fatalf("metrics do not show the store unhealthy:\n%s", metrics)
	}
	// The peer still answers the rest.
	if _, err := tax.client().Block(context.Background(), issuer, heightOf(st, "Tax Bureau")); height != heightOf(st, "Tax Bureau") && err != nil {
		t.Fatalf("an undamaged block: %v", err)
	}
	tax.stop()
	if log := tax.log.String(); strings.Contains(log, "panic") || strings.Count(log, "store corruption") > 2 {
		t.Fatalf("peer log:\n%s", log)
	}
}
