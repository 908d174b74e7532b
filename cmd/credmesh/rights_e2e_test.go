package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/records"
)

// A correction across peer processes: the tax bureau replaces a payment
// with credmesh correct; a light client asking the bank's replica gets the
// record as it stands and the correction, each verified with its own
// proof, next to the original.
func TestCorrectionReachesTheLightClient(t *testing.T) {
	peers := setupNetwork(t, "Tax Bureau", "Bank A")
	startAll(t, peers...)
	pay := records.SamplePayment("tax", 3, 10)
	file := filepath.Join(t.TempDir(), "payments.csv")
	writeCSV(t, file, []records.Record{pay})
	mustRun(t, "submit", "--home", peers[0].home, file)
	synced := func() bool {
		own := status(t, peers[0])
		want := heightOf(own, "Tax Bureau")
		return own.Pending == 0 && want > 0 && heightOf(status(t, peers[1]), "Tax Bureau") == want
	}
	eventually(t, 30*time.Second, "the bank holds the tax bureau's chain", synced)

	// Bad input: a clear error, exit 2, nothing published.
	if _, errOut, code := credmesh(t, "correct", "--home", peers[0].home, "--order-id", pay.OrderID, "--withdraw"); code != 2 || !strings.Contains(errOut, "--reason is required") {
		t.Fatalf("a correction without a reason: exit %d: %s", code, errOut)
	}
	if _, errOut, code := credmesh(t, "correct", "--home", peers[1].home, "--order-id", pay.OrderID, "--withdraw", "--reason", "not ours"); code == 0 || !strings.Contains(errOut, "our chain holds no sealed payment") {
		t.Fatalf("a bank correcting the tax bureau's payment: exit %d: %s", code, errOut)
	}

	fixed := pay
	fixed.AmountMinor += 500
	data, _ := json.Marshal(fixed)
	fixedFile := filepath.Join(t.TempDir(), "fixed.json")
	if err := os.WriteFile(fixedFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "correct", "--home", peers[0].home, "--order-id", pay.OrderID, "--replace", fixedFile, "--reason", "amount mistyped", "--id", "FIX-E2E-1")
	if !strings.Contains(out, "correction FIX-E2E-1 (replace) accepted") {
		t.Fatalf("correct: %s", out)
	}
	eventually(t, 30*time.Second, "the bank holds the correction", synced)

	genesis := filepath.Join(peers[1].home, "genesis.json")
	var v api.PaymentLookup
	if err := json.Unmarshal([]byte(mustRun(t, "query", "payment", pay.OrderID, "--genesis", genesis, "--witnesses", "0", "--json")), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Records) != 1 {
		t.Fatalf("light client lookup: %+v", v)
	}
	r := v.Records[0]
	if r.AmountMinor != fixed.AmountMinor || len(r.History) != 1 || r.History[0].CorrectionID != "FIX-E2E-1" || r.History[0].Reason != "amount mistyped" || !r.History[0].Verified || r.History[0].Height <= r.Height {
		t.Fatalf("the light client's corrected record: %+v", r)
	}
	text := mustRun(t, "query", "payment", pay.OrderID, "--genesis", genesis, "--witnesses", "0")
	if !strings.Contains(text, "corrected replace FIX-E2E-1") || !strings.Contains(text, "amount mistyped") {
		t.Fatalf("query payment text:\n%s", text)
	}
}
