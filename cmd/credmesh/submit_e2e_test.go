package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/credmesh/credmesh/records"
)

// submitLine is one JSON line of submit --json: a line's result or the
// summary.
type submitLine struct {
	Line    int    `json:"line"`
	Status  string `json:"status"`
	Error   string `json:"error"`
	Summary *struct {
		Accepted    int    `json:"accepted"`
		Refused     int    `json:"refused"`
		Duplicates  int    `json:"duplicates"`
		NotSent     int    `json:"not_sent"`
		Valid       int    `json:"valid"`
		NotSentFrom int    `json:"not_sent_from_line"`
		NotSentTo   int    `json:"not_sent_to_line"`
		Error       string `json:"error"`
		ExitCode    int    `json:"exit_code"`
	} `json:"summary"`
}

func decodeSubmit(t *testing.T, out string) (lines []submitLine, summary submitLine) {
	t.Helper()
	for _, text := range strings.Split(strings.TrimSpace(out), "\n") {
		var l submitLine
		if err := json.Unmarshal([]byte(text), &l); err != nil {
			t.Fatalf("not a JSON line: %q: %v", text, err)
		}
		if l.Summary != nil {
			summary = l
			continue
		}
		lines = append(lines, l)
	}
	if summary.Summary == nil {
		t.Fatalf("no summary line:\n%s", tail(out))
	}
	return lines, summary
}

// paymentsCSV writes n sample payments, with lines replaced by bad (line
// number, counted from 1 with the header, to the text of that line).
func paymentsCSV(t *testing.T, n int, bad map[int]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "payments.csv")
	writeCSV(t, path, samplePayments(0, n))
	if len(bad) == 0 {
		return path
	}
	data, _ := os.ReadFile(path)
	lines := strings.Split(string(data), "\n")
	for num, text := range bad {
		lines[num-1] = text
	}
	os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600)
	return path
}

func samplePayments(first, n int) []records.Record {
	out := make([]records.Record, n)
	for i := range out {
		out[i] = records.SamplePayment("submit-e2e", first+i, 200)
	}
	return out
}

// A file with malformed and implausible lines among good ones: each bad
// line is refused on its own with its reason, the rest is accepted across
// batches, results come in line order, and a second submission counts
// what is in as duplicates instead of refusing it.
func TestSubmitRefusesBadLinesAndCountsDuplicates(t *testing.T) {
	peers := setupNetwork(t, "Tax Bureau", "Bank A")
	tax, bank := peers[0], peers[1]
	startAll(t, tax, bank)

	const n = 12_000
	good := records.SamplePayment("submit-e2e", 1, 200)
	rowOf := func(order, paidAt string) string {
		return strings.Join([]string{"payment", order, "cn-rid", good.Payer.ID, "pension", "100", "CNY", "2026-10", paidAt, "bank", "440305"}, ",")
	}
	bad := map[int]string{
		101:  `payment,"SI-unbalanced-quote,cn-rid,` + good.Payer.ID + `,pension,100,CNY,2026-10,2026-10-01T00:00:00Z,bank,440305`,
		202:  rowOf("SI-paid-in-the-future", "2099-10-15T09:30:00Z"),
		303:  rowOf("SI with-a-space", "2026-10-01T00:00:00Z"),
		7004: rowOf("SI-"+strings.Repeat("x", 17<<20), "2026-10-01T00:00:00Z"), // in the second batch
	}
	file := paymentsCSV(t, n, bad)
	out, errOut, code := credmesh(t, "submit", "--home", tax.home, file, "--json", "--batch", "5000", "--progress", "lines", "--progress-every", "0")
	lines, sum := decodeSubmit(t, out)
	if code != 3 || sum.Summary.Accepted != n-len(bad) || sum.Summary.Refused != len(bad) || sum.Summary.NotSent != 0 || sum.Summary.ExitCode != 3 {
		t.Fatalf("exit %d, summary %+v\n%s", code, sum.Summary, errOut)
	}
	if len(lines) != n {
		t.Fatalf("%d line results for %d lines", len(lines), n)
	}
	wantErr := map[int][]string{
		101:  {"quote", "not closed"},
		202:  {"paid_at", "2099-10-15T09:30:00Z", "future"},
		303:  {"order_id contains a space at position 3", "allowed:"},
		7004: {"over the limit of 65536"},
	}
	for i, l := range lines {
		if l.Line != i+2 {
			t.Fatalf("result %d is of line %d: not in line order", i, l.Line)
		}
		if w, isBad := wantErr[l.Line]; isBad {
			if l.Status != "refused" {
				t.Fatalf("line %d: %+v", l.Line, l)
			}
			for _, s := range w {
				if !strings.Contains(l.Error, s) {
					t.Errorf("line %d: %q does not say %q", l.Line, l.Error, s)
				}
			}
		} else if l.Status != "accepted" {
			t.Fatalf("line %d: %+v", l.Line, l)
		}
	}
	if strings.Count(errOut, "% read") < 3 {
		t.Fatalf("no progress line per batch on stderr:\n%s", errOut)
	}

	// Again: what is in is counted, not refused, and not listed.
	out, _, code = credmesh(t, "submit", "--home", tax.home, file)
	if code != 3 || !strings.Contains(out, fmt.Sprintf("0 accepted, 4 refused, %d duplicates, 0 not sent", n-len(bad))) || strings.Count(out, ": refused:") != 4 {
		t.Fatalf("submitted again: exit %d\n%s", code, tail(out))
	}
	// Without the bad lines, a second submission exits 0 …
	again := filepath.Join(t.TempDir(), "again.csv")
	writeCSV(t, again, samplePayments(0, 10))
	if out := mustRun(t, "submit", "--home", tax.home, again); !strings.Contains(out, "0 accepted, 0 refused, 10 duplicates, 0 not sent") {
		t.Fatalf("again: %s", out)
	}
	// … unless duplicates are asked to fail.
	out, _, code = credmesh(t, "submit", "--home", tax.home, again, "--fail-on-duplicate")
	if code != 3 || !strings.Contains(out, "again.csv:2: refused:") || !strings.Contains(out, "already accepted") {
		t.Fatalf("--fail-on-duplicate: exit %d\n%s", code, out)
	}

	// Credit events imported twice: the second time all are duplicates.
	loans := filepath.Join(t.TempDir(), "loans.jsonl")
	var evs []string
	for i := range 3 {
		for _, r := range records.SampleCreditEvents("bank-a", i, 100) {
			b, _ := json.Marshal(r)
			evs = append(evs, string(b))
		}
	}
	os.WriteFile(loans, []byte(strings.Join(evs, "\n")+"\n"), 0o600)
	mustRun(t, "credit", "import", "--home", bank.home, loans)
	if out := mustRun(t, "credit", "import", "--home", bank.home, loans); !strings.Contains(out, fmt.Sprintf("0 accepted, 0 refused, %d duplicates", len(evs))) {
		t.Fatalf("credit import again: %s", out)
	}
}

// A peer killed mid-file: the records it accepted before stay accepted and
// are reported so, the lines not sent are named and the exit code says
// so; submitting the file again once the peer is back completes it.
func TestSubmitKeepsWhatWasAcceptedWhenThePeerDies(t *testing.T) {
	peers := setupNetwork(t, "Tax Bureau", "Bank A")
	tax := peers[0]
	startAll(t, peers...)
	const n = 20_000
	file := paymentsCSV(t, n, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "submit", "--home", tax.home, file, "--json", "--batch", "200", "--progress", "none")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Read the first result, then kill the peer: the submitter is held by
	// the pipe we do not read meanwhile, so most of the file is still to
	// send.
	rd := bufio.NewReader(stdout)
	first, err := rd.ReadString('\n')
	if err != nil || !strings.Contains(first, `"accepted"`) {
		t.Fatalf("first result %q: %v\n%s", first, err, errOut.String())
	}
	tax.kill()
	rest, _ := io.ReadAll(rd)
	err = cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	lines, sum := decodeSubmit(t, first+string(rest))
	s := sum.Summary
	if code != 4 || s.ExitCode != 4 || s.Accepted == 0 || s.NotSent == 0 || s.Accepted+s.NotSent != n || s.Refused != 0 || s.Error == "" {
		t.Fatalf("exit %d, summary %+v\n%s", code, s, errOut.String())
	}
	// Accepted lines first, then not sent, each line once, in order.
	for i, l := range lines {
		want := "accepted"
		if i >= s.Accepted {
			want = "not_sent"
		}
		if l.Line != i+2 || l.Status != want {
			t.Fatalf("result %d: %+v, want line %d %s", i, l, i+2, want)
		}
	}
	if s.NotSentFrom != s.Accepted+2 || s.NotSentTo != n+1 {
		t.Fatalf("not sent from %d to %d", s.NotSentFrom, s.NotSentTo)
	}
	msg := errOut.String()
	for _, w := range []string{fmt.Sprintf("%d records before it were accepted", s.Accepted), fmt.Sprintf("lines %d to %d (%d records) were not sent", s.NotSentFrom, n+1, s.NotSent), "Submit the file again"} {
		if !strings.Contains(msg, w) {
			t.Fatalf("stderr does not say %q:\n%s", w, msg)
		}
	}
	t.Logf("peer killed after %d of %d records were reported accepted", s.Accepted, n)

	// Back up: the accepted ones are duplicates now, the rest goes in. A
	// batch in flight when the peer died may have been stored without an
	// answer: its records are duplicates too.
	tax.start(t)
	waitSealing(t, tax)
	out, _, code := credmesh(t, "submit", "--home", tax.home, file, "--json", "--progress", "none")
	_, sum = decodeSubmit(t, out)
	s2 := sum.Summary
	if code != 0 || s2.Duplicates < s.Accepted || s2.Duplicates > s.Accepted+200 || s2.Accepted+s2.Duplicates != n {
		t.Fatalf("submitted again: exit %d, %+v (first run accepted %d)", code, s2, s.Accepted)
	}
}

// --dry-run reads and checks every line without a peer or a home.
func TestSubmitDryRun(t *testing.T) {
	good := records.SamplePayment("dry", 1, 10)
	b, _ := json.Marshal(good)
	line := string(b)
	file := filepath.Join(t.TempDir(), "records.jsonl")
	os.WriteFile(file, []byte(strings.Join([]string{
		line,
		line + line,
		"null",
		strings.Replace(line, `"amount_minor":`+fmt.Sprint(good.AmountMinor), `"amount_minor":null`, 1),
		strings.Replace(line, `"amount_minor":`+fmt.Sprint(good.AmountMinor), `"amount_minor":"12.50"`, 1),
		strings.Replace(line, `"category":"`+good.Category+`"`, `"category":"lottery"`, 1),
		strings.Replace(line, `"paid_at":"`+good.PaidAt+`"`, `"paid_at":"2099-01-01T00:00:00Z"`, 1),
		strings.Replace(line, `"item":"`, `"item":"`+strings.Repeat("y", 70<<10), 1),
		line,
	}, "\n")+"\n"), 0o600)
	out, _, code := credmesh(t, "submit", "--dry-run", file, "--progress", "none")
	if code != 3 || !strings.Contains(out, "dry run: 2 valid, 7 refused; nothing was sent") {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	for num, w := range map[int]string{2: "second JSON value", 3: "null is not a record", 4: "amount_minor: null", 5: "amount_minor: string", 6: "category", 7: "future", 8: "over the limit"} {
		if !strings.Contains(out, fmt.Sprintf("records.jsonl:%d: refused: invalid record: ", num)) || !strings.Contains(out, w) {
			t.Errorf("line %d does not say %q:\n%s", num, w, out)
		}
	}
	if strings.Contains(out, "Go struct") || strings.Contains(out, "uint64") {
		t.Fatalf("Go types in the output:\n%s", out)
	}
	// A duplicated column fails the file, naming it.
	csvFile := filepath.Join(t.TempDir(), "dup.csv")
	os.WriteFile(csvFile, []byte("type,amount_minor,currency,amount_minor\npayment,1,CNY,2\n"), 0o600)
	_, errOut, code := credmesh(t, "submit", "--dry-run", csvFile)
	if code != 1 || !strings.Contains(errOut, `column "amount_minor" appears twice (columns 2 and 4)`) {
		t.Fatalf("duplicated column: exit %d: %s", code, errOut)
	}
}

// On a terminal, submit draws a progress bar on stderr.
func TestSubmitProgressBarOnATerminal(t *testing.T) {
	file := paymentsCSV(t, 2000, nil)
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	cmd := exec.Command(binary, "submit", "--dry-run", file, "--batch", "100")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	drawn := make(chan []byte)
	go func() { b, _ := io.ReadAll(ptmx); drawn <- b }() // ends with EIO when the child is gone
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	bar := string(<-drawn)
	if !strings.Contains(bar, "\rpayments.csv: ") || !strings.Contains(bar, "% |") || !strings.Contains(bar, " valid, 0 refused") {
		t.Fatalf("no bar drawn on the terminal: %q", bar)
	}
	if strings.Contains(out.String(), "%") || !strings.Contains(out.String(), "2000 valid") {
		t.Fatalf("stdout: %s", out.String())
	}
}

// The header examples in submit --help and in docs/OPERATIONS.md are valid
// files, and the help lists the exit codes.
func TestSubmitDocumentedExamplesAreValid(t *testing.T) {
	help := mustRun(t, "submit", "--help")
	for _, w := range []string{records.HeaderExample, "Exit codes:", "3  some lines refused", "4  the peer failed mid-file", "--dry-run"} {
		if !strings.Contains(help, w) {
			t.Fatalf("submit --help does not show %q", w)
		}
	}
	var example []string
	for _, l := range strings.Split(help, "\n") {
		if strings.HasPrefix(l, "  type,") || strings.HasPrefix(l, "  payment,") {
			example = append(example, strings.TrimSpace(l))
		}
	}
	files := map[string]string{"help.csv": strings.Join(example, "\n") + "\n"}
	ops, err := os.ReadFile("../../docs/OPERATIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(ops[bytes.Index(ops, []byte("## Records")):])
	blocks := strings.Split(section, "```")
	files["ops-payments.csv"], files["ops-events.csv"] = strings.TrimPrefix(blocks[1], "\n"), strings.TrimPrefix(blocks[3], "\n")
	for name, text := range files {
		path := filepath.Join(t.TempDir(), name)
		os.WriteFile(path, []byte(text), 0o600)
		want := strings.Count(strings.TrimSpace(text), "\n")
		if out := mustRun(t, "submit", "--dry-run", path); want == 0 || !strings.Contains(out, fmt.Sprintf("dry run: %d valid, 0 refused", want)) {
			t.Fatalf("%s:\n%s\n%s", name, text, out)
		}
	}
}
