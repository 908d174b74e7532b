package main_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/records"
)

// These tests drive the real binary the way the README does: every peer is
// its own OS process on loopback.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "credmesh-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "credmesh")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building credmesh: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// credmesh runs the binary to completion and returns its output.
func credmesh(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("credmesh %v: %v", args, err)
	}
	return o.String(), e.String(), 0
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := credmesh(t, args...)
	if code != 0 {
		t.Fatalf("credmesh %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

type peerProc struct {
	home    string
	apiPort int
	cmd     *exec.Cmd
	log     *syncBuffer // the peer's output, readable while it runs
}

// setupNetwork runs the README's commands: init every home, genesis new.
func setupNetwork(t *testing.T, names ...string) []*peerProc {
	t.Helper()
	dir := t.TempDir()
	var peers []*peerProc
	args := []string{"genesis", "new", "--network", "e2e-net"}
	for _, name := range names {
		p := &peerProc{home: filepath.Join(dir, strings.ReplaceAll(strings.ToLower(name), " ", "-")), apiPort: freePort(t)}
		out := mustRun(t, "init", "--home", p.home, "--name", name, "--listen-ip", "127.0.0.1",
			"--p2p-port", strconv.Itoa(freePort(t)), "--api-port", strconv.Itoa(p.apiPort))
		if !strings.Contains(out, "peer ID: 12D3KooW") {
			t.Fatalf("init printed no peer ID: %s", out)
		}
		args = append(args, "--member", p.home)
		peers = append(peers, p)
	}
	mustRun(t, args...)
	return peers
}

func (p *peerProc) start(t *testing.T) { p.startWith(t, new(syncBuffer)) }

// startWith starts the peer with its output appended to log and waits
// until its API answers.
func (p *peerProc) startWith(t *testing.T, log *syncBuffer) {
	t.Helper()
	p.log = log
	p.cmd = exec.Command(binary, "run", "--home", p.home)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := p.client().Status(context.Background()); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("peer %s did not come up:\n%s", p.home, tail(p.log.String()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startAll starts peers, then waits until each has recovered its own
// chain from the others and takes records.
func startAll(t *testing.T, peers ...*peerProc) {
	t.Helper()
	for _, p := range peers {
		p.start(t)
	}
	waitSealing(t, peers...)
}

// waitSealing waits until each of peers has recovered its own chain from
// the other members and signs blocks again (before that, submissions get
// 503).
func waitSealing(t *testing.T, peers ...*peerProc) {
	t.Helper()
	for _, p := range peers {
		eventually(t, 30*time.Second, p.home+" has recovered its own chain", func() bool {
			st, err := p.client().Status(context.Background())
			return err == nil && st.Recovery != nil && st.Recovery.State == "sealing"
		})
	}
}

func (p *peerProc) stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	p.cmd = nil
}

func (p *peerProc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	p.cmd = nil
}

func (p *peerProc) client() *api.Client {
	return api.NewClient(fmt.Sprintf("127.0.0.1:%d", p.apiPort), "")
}

func status(t *testing.T, p *peerProc) api.Status {
	t.Helper()
	var st api.Status
	if err := json.Unmarshal([]byte(mustRun(t, "status", "--home", p.home, "--json")), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// headOf returns the height and hash of the named chain in st.
func headOf(st api.Status, name string) (uint64, string) {
	for _, c := range st.Chains {
		if c.Name == name {
			return c.Height, c.Hash
		}
	}
	return 0, ""
}

func heightOf(st api.Status, name string) uint64 {
	for _, c := range st.Chains {
		if c.Name == name {
			return c.Height
		}
	}
	return 0
}

func writeCSV(t *testing.T, path string, recs []records.Record) {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"type", "order_id", "payer_kind", "payer_id", "category", "amount_minor", "currency", "period", "paid_at", "channel", "region"})
	for _, r := range recs {
		w.Write([]string{r.Type, r.OrderID, r.Payer.Kind, r.Payer.ID, r.Category, strconv.FormatUint(r.AmountMinor, 10), r.Currency, r.Period, r.PaidAt, r.Channel, r.Region})
	}
	w.Flush()
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Three peers set up with the README's commands, each its own process:
// records submitted to one appear in the status of the others.
func TestThreePeersFromTheREADME(t *testing.T) {
	peers := setupNetwork(t, "Tax Bureau", "Bank A", "Bank B")
	startAll(t, peers...)
	file := filepath.Join(t.TempDir(), "payments.csv")
	var recs []records.Record
	for n := range 500 {
		recs = append(recs, records.SamplePayment("tax", n, 100))
	}
	writeCSV(t, file, recs)
	out := mustRun(t, "submit", "--home", peers[0].home, file)
	if !strings.Contains(out, "500 accepted, 0 refused") {
		t.Fatalf("submit: %s", out)
	}
	eventually(t, 30*time.Second, "both banks hold the tax bureau's whole chain", func() bool {
		own := status(t, peers[0])
		want := heightOf(own, "Tax Bureau")
		return own.Pending == 0 && want > 0 &&
			heightOf(status(t, peers[1]), "Tax Bureau") == want && heightOf(status(t, peers[2]), "Tax Bureau") == want
	})
	text := mustRun(t, "status", "--home", peers[2].home)
	if !strings.Contains(text, "Tax Bureau") || !strings.Contains(text, "members connected 2 of 2") {
		t.Fatalf("status text:\n%s", text)
	}

	// A light client verifies a payment from the genesis alone.
	genesis := filepath.Join(peers[1].home, "genesis.json")
	out = mustRun(t, "query", "payment", recs[42].OrderID, "--genesis", genesis, "--witnesses", "0")
	if !strings.Contains(out, "verified") || !strings.Contains(out, recs[42].Period) {
		t.Fatalf("query payment:\n%s", out)
	}
	if _, errOut, code := credmesh(t, "query", "payment", "NO-SUCH-ORDER-0001", "--genesis", genesis); code != 3 ||
		!strings.Contains(errOut, "the peers asked hold no such record; they may be behind") || !strings.Contains(errOut, "NOT_FOUND from 12D3KooW") {
		t.Fatalf("unknown order: exit %d: %s", code, errOut)
	}
	// A batch: one line per order ID, in the file's order; the unknown
	// one makes the exit status 3.
	batch := filepath.Join(t.TempDir(), "orders.txt")
	if err := os.WriteFile(batch, []byte("# certificates to check\n"+recs[42].OrderID+"\n\nNO-SUCH-ORDER-0002\n"+recs[7].OrderID+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	batchOut, batchErr, code := credmesh(t, "query", "payment", "--batch", batch, "--genesis", genesis, "--witnesses", "0")
	bl := strings.Split(strings.TrimSpace(batchOut), "\n")
	if code != 3 || len(bl) != 4 || !strings.HasPrefix(bl[0], recs[42].OrderID+"\tverified\t") || !strings.Contains(bl[0], recs[42].Period) ||
		!strings.HasPrefix(bl[1], "NO-SUCH-ORDER-0002\tnot found") || !strings.HasPrefix(bl[2], recs[7].OrderID+"\tverified\t") ||
		!strings.Contains(bl[3], "3 order IDs: 2 verified, 1 not found") {
		t.Fatalf("query payment --batch: exit %d\n%s%s", code, batchOut, batchErr)
	}
	if help := mustRun(t, "query", "payment", "--help"); !strings.Contains(help, "5  conflict") || !strings.Contains(help, "6  an issuer is forked") || !strings.Contains(help, "4  a check failed") {
		t.Fatalf("query payment --help lists no exit codes 4 to 6:\n%s", help)
	}

	// Shadowing: Bank A publishes a payment under the tax bureau's order
	// ID. The light client shows both records in full and exits 5; the
	// API answers both as a 409 conflict.
	shadow := recs[42]
	shadow.AmountMinor = 1
	shadowFile := filepath.Join(t.TempDir(), "shadow.csv")
	writeCSV(t, shadowFile, []records.Record{shadow})
	if out := mustRun(t, "submit", "--home", peers[1].home, shadowFile); !strings.Contains(out, "1 accepted, 0 refused") {
		t.Fatalf("submit the shadow: %s", out)
	}
	var conflictOut, conflictErr string
	eventually(t, 30*time.Second, "the light client sees both records", func() bool {
		var code int
		conflictOut, conflictErr, code = credmesh(t, "query", "payment", recs[42].OrderID, "--genesis", genesis, "--witnesses", "0")
		return code == 5
	})
	original := fmt.Sprintf("amount    %d.%02d", recs[42].AmountMinor/100, recs[42].AmountMinor%100)
	if !strings.Contains(conflictOut, "CONFLICT: 2 issuers") || !strings.Contains(conflictOut, "Tax Bureau") || !strings.Contains(conflictOut, "Bank A") ||
		!strings.Contains(conflictOut, original) || !strings.Contains(conflictOut, "amount    0.01") || !strings.Contains(conflictErr, "conflict") {
		t.Fatalf("query payment of a shadowed order ID:\n%s%s", conflictOut, conflictErr)
	}
	jsonOut, _, code := credmesh(t, "query", "payment", recs[42].OrderID, "--genesis", genesis, "--witnesses", "0", "--json")
	var lookup api.PaymentLookup
	if code != 5 || json.Unmarshal([]byte(jsonOut), &lookup) != nil || !lookup.Conflict || len(lookup.Records) != 2 {
		t.Fatalf("query payment --json of a shadowed order ID: exit %d\n%s", code, jsonOut)
	}
	eventually(t, 30*time.Second, "Bank B's API answers both records as a conflict", func() bool {
		got, err := peers[2].client().Payment(context.Background(), recs[42].OrderID)
		var apiErr *api.Error
		return errors.As(err, &apiErr) && apiErr.Status == 409 && got.Conflict && len(got.Records) == 2
	})

	// Bank B keeps a loan private; Bank A's report finds it, and the
	// receipts bill Bank A.
	loans := filepath.Join(t.TempDir(), "loans.jsonl")
	var lines []string
	for _, r := range records.SampleCreditEvents("bank-b", 0, 100) {
		b, _ := json.Marshal(r)
		lines = append(lines, string(b))
	}
	os.WriteFile(loans, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	if out := mustRun(t, "credit", "import", "--home", peers[2].home, loans); !strings.Contains(out, "0 refused") {
		t.Fatalf("credit import: %s", out)
	}
	subject := records.SampleCreditEvents("bank-b", 0, 100)[0].Subject.ID
	out = mustRun(t, "report", subject, "--home", peers[1].home, "--purpose", "loan_application", "--consent", "C-1")
	if !strings.Contains(out, "members answered        3 of 3") || !strings.Contains(out, "active accounts         1 with 1 lenders") {
		t.Fatalf("report:\n%s", out)
	}
	// Bank A pays the two others for their answers, and nobody for its own.
	eventually(t, 30*time.Second, "the receipts are billed on every peer", func() bool {
		for _, p := range peers {
			out, _, code := credmesh(t, "billing", "--home", p.home, "--json")
			var b api.BillingView
			if code != 0 || json.Unmarshal([]byte(out), &b) != nil || b.TotalPayable["CNY"] != 400 || b.TotalReceivable["CNY"] != 400 {
				return false
			}
		}
		return true
	})
}

// make demo's command: a whole network in sync, a verified payment lookup,
// a report every member answered, and a balanced statement.
func TestDemo(t *testing.T) {
	out := mustRun(t, "demo", "--json", "--payments", "600", "--loans", "60")
	var s struct {
		InSync  bool              `json:"in_sync"`
		Peers   []json.RawMessage `json:"peers"`
		Payment api.PaymentView   `json:"payment_lookup"`
		Report  api.ReportView    `json:"credit_report"`
		Billing api.BillingView   `json:"billing"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("demo --json: %v\n%s", err, out)
	}
	if !s.InSync || len(s.Peers) != 4 || !s.Payment.Verified || s.Report.Summary.Asked != 3 || s.Report.Summary.Answered != 3 {
		t.Fatalf("demo summary: %s", out)
	}
	if s.Billing.TotalPayable["CNY"] == 0 || s.Billing.TotalPayable["CNY"] != s.Billing.TotalReceivable["CNY"] {
		t.Fatalf("demo billing: %+v", s.Billing)
	}
	// The text form ends by telling where the explorer was and how to keep it.
	text := mustRun(t, "demo", "--payments", "60", "--loans", "6")
	if !strings.Contains(text, "the explorer was at http://127.0.0.1:") || !strings.Contains(text, "--keep") {
		t.Fatalf("demo text does not point at the explorer:\n%s", text)
	}
}

// syncBuffer is a peer's output, read by the test while the peer writes
// it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sigterm stops p with SIGTERM and returns how long it took to exit.
func sigterm(t *testing.T, p *peerProc) time.Duration {
	t.Helper()
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		p.cmd = nil
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, tail(p.log.String()))
		}
		return time.Since(start)
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-done
		p.cmd = nil
		t.Fatalf("SIGTERM ignored for 30 s:\n%s", tail(p.log.String()))
		return 0
	}
}

// chainHolds reports whether p's copy of the Tax Bureau's chain, up to h,
// holds every key of want.
func chainHolds(t *testing.T, p *peerProc, st api.Status, h uint64, want map[string]bool) bool {
	t.Helper()
	var issuer string
	for _, c := range st.Chains {
		if c.Name == "Tax Bureau" {
			issuer = c.Issuer
		}
	}
	found := 0
	for height := uint64(1); height <= h; height++ {
		b, err := p.client().Block(context.Background(), issuer, height)
		if err != nil {
			return false
		}
		for _, e := range b.Entries {
			if want[e.Key] {
				found++
			}
		}
	}
	return found == len(want)
}

func tail(s string) string {
	if len(s) > 4000 {
		return "...\n" + s[len(s)-4000:]
	}
	return s
}
