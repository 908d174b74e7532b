package main_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Mistakes in the files an operator edits get errors that name the file
// and the line or field, and nothing is half-applied.
func TestBadFilesNameTheirMistake(t *testing.T) {
	peers := setupNetwork(t, "Tax Bureau", "Bank A")
	tax := peers[0]

	cfgPath := filepath.Join(tax.home, "config.toml")
	good, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(cfgPath, []byte(strings.Replace(string(good), "[log]", "[log]\nverbosity = 3", 1)), 0o600)
	_, errOut, code := credmesh(t, "run", "--home", tax.home)
	if code == 0 || !strings.Contains(errOut, "config.toml:") || !strings.Contains(errOut, "verbosity") {
		t.Fatalf("bad config: exit %d: %s", code, errOut)
	}
	os.WriteFile(cfgPath, good, 0o600)

	genPath := filepath.Join(tax.home, "genesis.json")
	genesis, _ := os.ReadFile(genPath)
	os.WriteFile(genPath, []byte(strings.Replace(string(genesis), `"network_id"`, `"network_id" "oops"`, 1)), 0o644)
	_, errOut, code = credmesh(t, "run", "--home", tax.home)
	if code == 0 || !strings.Contains(errOut, "genesis.json:") {
		t.Fatalf("bad genesis: exit %d: %s", code, errOut)
	}
	// A genesis without the secret's fingerprint is refused, naming it.
	noFP := regexp.MustCompile(`,\s*"subject_secret_fingerprint": "[0-9a-f]{64}"`).ReplaceAll(genesis, nil)
	if bytes.Equal(noFP, genesis) {
		t.Fatalf("no fingerprint in the genesis:\n%s", genesis)
	}
	os.WriteFile(genPath, noFP, 0o644)
	_, errOut, code = credmesh(t, "run", "--home", tax.home)
	if code == 0 || !strings.Contains(errOut, "genesis.json:") || !strings.Contains(errOut, "params.subject_secret_fingerprint: required") {
		t.Fatalf("genesis without the fingerprint: exit %d: %s", code, errOut)
	}
	os.WriteFile(genPath, genesis, 0o644)

	// A peer holding another network's subject secret refuses to start,
	// naming both files and showing neither secret.
	secPath := filepath.Join(tax.home, "subject.secret")
	secret, _ := os.ReadFile(secPath)
	wrong := bytes.Repeat([]byte("5a"), 32)
	os.WriteFile(secPath, append(wrong, '\n'), 0o600)
	_, errOut, code = credmesh(t, "run", "--home", tax.home)
	if code == 0 || !strings.Contains(errOut, secPath+` is not the subject secret of network "e2e-net"`) || !strings.Contains(errOut, genPath) {
		t.Fatalf("another secret: exit %d: %s", code, errOut)
	}
	if strings.Contains(errOut, string(wrong)) || strings.Contains(errOut, strings.TrimSpace(string(secret))) {
		t.Fatalf("the error shows a secret: %s", errOut)
	}
	os.WriteFile(secPath, secret, 0o600)

	// A genesis over a home that cannot be read changes no home.
	other := filepath.Join(t.TempDir(), "x")
	mustRun(t, "init", "--home", other, "--name", "X", "--listen-ip", "127.0.0.1")
	os.Remove(filepath.Join(other, "key"))
	_, errOut, code = credmesh(t, "genesis", "new", "--network", "half", "--member", other, "--member", peers[1].home)
	if code == 0 || !strings.Contains(errOut, "key") {
		t.Fatalf("genesis over a broken home: exit %d: %s", code, errOut)
	}
	if g, _ := os.ReadFile(filepath.Join(peers[1].home, "genesis.json")); !strings.Contains(string(g), "e2e-net") {
		t.Fatal("a failed genesis new changed a home")
	}

	// A CSV with bad lines: each is named with its line and field. (The
	// bank runs too: the tax bureau signs nothing before a member has
	// answered for its chain.)
	startAll(t, tax, peers[1])
	csvPath := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(csvPath, []byte("type,order_id,payer_kind,payer_id,category,amount_minor,currency,period,paid_at\n"+
		"payment,PAY-OK-000000001,cn-rid,11010519491231002X,pension,100,CNY,2026-10,2026-10-15T09:30:00Z\n"+
		"payment,PAY-OK-000000002,cn-rid,11010519491231002X,pension,ten,CNY,2026-10,2026-10-15T09:30:00Z\n"+
		"payment,PAY-OK-000000003,cn-rid,110105194912310021,pension,100,CNY,2026-10,2026-10-15T09:30:00Z\n"), 0o600)
	out, _, code := credmesh(t, "submit", "--home", tax.home, csvPath)
	if code != 3 || !strings.Contains(out, "bad.csv:3: refused") || !strings.Contains(out, "amount_minor") ||
		!strings.Contains(out, "bad.csv:4: refused") || !strings.Contains(out, "payer") || !strings.Contains(out, "1 accepted, 2 refused") {
		t.Fatalf("bad CSV: exit %d:\n%s", code, out)
	}
	if strings.Contains(out, "110105194912310021") {
		t.Fatal("the refusal quotes a subject's ID")
	}
	// An unknown column refuses the whole file before anything is sent.
	os.WriteFile(csvPath, []byte("type,colour\npayment,red\n"), 0o600)
	_, errOut, code = credmesh(t, "submit", "--home", tax.home, csvPath)
	if code == 0 || !strings.Contains(errOut, "line 1") || !strings.Contains(errOut, "colour") {
		t.Fatalf("unknown column: exit %d: %s", code, errOut)
	}
}
