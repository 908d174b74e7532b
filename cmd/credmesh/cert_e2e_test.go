package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/records"
)

// A light client saves a payment certificate and its QR code from real
// peers (each its own process on loopback), every peer stops, and the
// certificate still verifies from the file and from the PNG with no
// network; a changed byte, another genesis and a stricter witness policy
// than the certificate meets each fail with their exit codes. Bank C is a
// member that never runs, so exactly two witnesses can cosign.
func TestCertificateVerifiesOfflineAfterTheNetworkStops(t *testing.T) {
	peers := setupNetwork(t, "Tax Bureau", "Bank A", "Bank B", "Bank C")
	startAll(t, peers[:3]...)
	file := filepath.Join(t.TempDir(), "payments.csv")
	var recs []records.Record
	for n := range 20 {
		recs = append(recs, records.SamplePayment("tax", n, 10))
	}
	writeCSV(t, file, recs)
	if out := mustRun(t, "submit", "--home", peers[0].home, file); !strings.Contains(out, "20 accepted, 0 refused") {
		t.Fatalf("submit: %s", out)
	}
	genesis := filepath.Join(peers[1].home, "genesis.json")
	dir := t.TempDir()
	certFile, qrFile := filepath.Join(dir, "payment.cert"), filepath.Join(dir, "payment.png")
	rec := recs[7]
	var out, errOut string
	var code int
	// A block is cosigned about one witness period (10 s) after it is
	// sealed; until then the lookup exits 7.
	eventually(t, 90*time.Second, "the record's block is cosigned by both running witnesses", func() bool {
		out, errOut, code = credmesh(t, "query", "payment", rec.OrderID, "--genesis", genesis, "--witnesses", "2", "--save", certFile, "--qr", qrFile)
		if code != 0 && code != 7 && code != 3 {
			t.Fatalf("query payment --save: exit %d\n%s%s", code, out, errOut)
		}
		return code == 0
	})
	if !strings.Contains(out, "witnessed 2 members other than the issuer cosigned") || !strings.Contains(out, "cosigned by:") ||
		!strings.Contains(errOut, "saved a payment certificate to "+certFile) || !strings.Contains(errOut, "saved its QR code to "+qrFile) {
		t.Fatalf("query payment --save:\n%s%s", out, errOut)
	}
	js, _, code := credmesh(t, "query", "payment", rec.OrderID, "--genesis", genesis, "--witnesses", "2", "--json")
	var lookup api.PaymentLookup
	if err := json.Unmarshal([]byte(js), &lookup); err != nil || code != 0 || len(lookup.Records) != 1 || lookup.Records[0].Witnesses == nil ||
		lookup.Records[0].Witnesses.Count != 2 || len(lookup.Records[0].Witnesses.Heads) == 0 || len(lookup.Records[0].Witnesses.Heads[0].Cosigners) == 0 {
		t.Fatalf("query payment --json shows no witnesses: exit %d %v\n%s", code, err, js)
	}
	// A member's API serves a certificate too, here sealed.
	sealedData, err := peers[1].client().PaymentCertificate(context.Background(), rec.OrderID, true)
	if err != nil {
		t.Fatal(err)
	}
	sealedFile := filepath.Join(dir, "sealed.cert")
	if err := os.WriteFile(sealedFile, sealedData, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range peers[:3] {
		p.stop()
	}
	if out := mustRun(t, "verify", sealedFile, "--genesis", genesis, "--witnesses", "1"); !strings.Contains(out, "published a payment record under lookup hash") || strings.Contains(out, rec.OrderID) {
		t.Fatalf("verify of a sealed certificate:\n%s", out)
	}
	if out := mustRun(t, "verify", sealedFile, "--genesis", genesis, "--witnesses", "1", "--order-id", rec.OrderID); !strings.Contains(out, rec.Period) || !strings.Contains(out, rec.OrderID) {
		t.Fatalf("verify --order-id of a sealed certificate:\n%s", out)
	}

	// No peer runs: verify uses the file and the genesis alone.
	for _, f := range []string{certFile, qrFile} {
		out := mustRun(t, "verify", f, "--genesis", genesis)
		t.Logf("credmesh verify %s:\n%s", filepath.Base(f), out)
		for _, want := range []string{"VERIFIED offline", "Tax Bureau", rec.Period, fmt.Sprintf("%d.%02d CNY", rec.AmountMinor/100, rec.AmountMinor%100),
			"2 members other than the issuer cosigned (required 2)", "Bank A", "Bank B", rec.OrderID} {
			if !strings.Contains(out, want) {
				t.Fatalf("verify %s lacks %q:\n%s", filepath.Base(f), want, out)
			}
		}
	}
	if out := mustRun(t, "verify", certFile, "--genesis", genesis, "--notes"); strings.Count(out, "\n\u2014 ") != 2 || !strings.Contains(out, "e2e-net/heads\n") {
		t.Fatalf("verify --notes:\n%s", out)
	}
	js = mustRun(t, "verify", qrFile, "--genesis", genesis, "--json")
	var v struct {
		Valid  bool `json:"valid"`
		FromQR bool `json:"from_qr"`
		Record *api.PaymentView
	}
	if err := json.Unmarshal([]byte(js), &v); err != nil || !v.Valid || !v.FromQR || v.Record == nil || v.Record.OrderID != rec.OrderID ||
		v.Record.Witnesses == nil || v.Record.Witnesses.Count != 2 {
		t.Fatalf("verify --json: %v\n%s", err, js)
	}

	// Too few witnesses for the policy: exit 7, and the proof is shown.
	out, errOut, code = credmesh(t, "verify", certFile, "--genesis", genesis, "--witnesses", "3")
	if code != 7 || !strings.Contains(out, "NOT ENOUGH WITNESSES") || !strings.Contains(errOut, "too few witnesses") {
		t.Fatalf("verify --witnesses 3: exit %d\n%s%s", code, out, errOut)
	}
	// One changed byte: exit 4.
	data, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x10
	bad := filepath.Join(dir, "changed.cert")
	if err := os.WriteFile(bad, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := credmesh(t, "verify", bad, "--genesis", genesis); code != 4 || !strings.Contains(errOut, "INVALID") {
		t.Fatalf("a changed byte: exit %d\n%s%s", code, out, errOut)
	}
	// Not a certificate: exit 4; no such file: 1; no genesis: usage, 2.
	if _, errOut, code := credmesh(t, "verify", genesis, "--genesis", genesis); code != 4 || !strings.Contains(errOut, "not a credmesh certificate") {
		t.Fatalf("verify of a genesis file: exit %d %s", code, errOut)
	}
	if _, errOut, code := credmesh(t, "verify", filepath.Join(dir, "none.cert"), "--genesis", genesis); code != 1 {
		t.Fatalf("verify of no file: exit %d %s", code, errOut)
	}
	if _, errOut, code := credmesh(t, "verify", certFile); code != 2 {
		t.Fatalf("verify without --genesis: exit %d %s", code, errOut)
	}
	// Another network's genesis: exit 4.
	other := setupNetwork(t, "Other Bureau", "Other Bank")
	if out, errOut, code := credmesh(t, "verify", certFile, "--genesis", filepath.Join(other[0].home, "genesis.json"), "--witnesses", "0"); code != 4 || !strings.Contains(errOut, "genesis") {
		t.Fatalf("another genesis: exit %d\n%s%s", code, out, errOut)
	}
}
