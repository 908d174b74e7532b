package main_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// demo --json --keep: stdout is one JSON value and nothing else, while
// the network runs and after it stops; the hints go to stderr.
func TestDemoJSONKeepPrintsOnlyJSON(t *testing.T) {
	cmd := exec.Command(binary, "demo", "--json", "--keep", "--dir", t.TempDir(), "--payments", "300", "--loans", "30")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := new(syncBuffer)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	dec := json.NewDecoder(stdout)
	var sum struct {
		InSync bool `json:"in_sync"`
		Peers  []struct {
			API string `json:"api"`
		} `json:"peers"`
	}
	if err := dec.Decode(&sum); err != nil {
		t.Fatalf("stdout is no JSON: %v\nstderr:\n%s", err, stderr.String())
	}
	if !sum.InSync || len(sum.Peers) != 4 {
		t.Fatalf("summary: %+v", sum)
	}
	eventually(t, 30*time.Second, "the hints of --keep are on stderr", func() bool {
		return strings.Contains(stderr.String(), "the network keeps running")
	})
	cmd.Process.Signal(syscall.SIGINT)
	rest, _ := io.ReadAll(io.MultiReader(dec.Buffered(), stdout))
	if err := cmd.Wait(); err != nil {
		t.Fatalf("demo after SIGINT: %v\n%s", err, stderr.String())
	}
	if strings.TrimSpace(string(rest)) != "" {
		t.Fatalf("stdout holds more than the JSON summary: %q", rest)
	}
	if !strings.Contains(stderr.String(), "creating 4 homes") {
		t.Errorf("no progress on stderr:\n%s", stderr.String())
	}
}

// demo --postgres: the last lender answers the report from PostgreSQL,
// with private records read at query time, and every member answers.
func TestDemoPostgres(t *testing.T) {
	out := mustRun(t, "demo", "--postgres", "--json", "--dir", t.TempDir(), "--payments", "300", "--loans", "30")
	var sum struct {
		InSync   bool `json:"in_sync"`
		Postgres *struct {
			Member string `json:"member"`
			Rows   int    `json:"rows"`
		} `json:"postgres"`
		Report struct {
			Summary struct {
				Asked, Answered int
			} `json:"summary"`
			Members []struct {
				Name           string `json:"name"`
				Outcome        string `json:"outcome"`
				PrivateRecords int    `json:"private_records"`
				Records        int    `json:"records"`
			} `json:"members"`
		} `json:"credit_report"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !sum.InSync || sum.Postgres == nil || sum.Postgres.Rows != 40 || sum.Report.Summary.Answered != sum.Report.Summary.Asked {
		t.Fatalf("summary: %s", out)
	}
	found := false
	for _, m := range sum.Report.Members {
		if m.Name == sum.Postgres.Member {
			found = true
			if m.Outcome != "answered" || m.PrivateRecords == 0 || m.Records != 0 {
				t.Fatalf("the PostgreSQL lender's part: %+v", m)
			}
		}
	}
	if !found {
		t.Fatalf("no %s in the report: %s", sum.Postgres.Member, out)
	}
}
