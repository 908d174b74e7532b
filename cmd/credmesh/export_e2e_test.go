package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/records"
)

func submitAPI(t *testing.T, p *peerProc, recs []records.Record) {
	t.Helper()
	resp, err := p.client().Submit(context.Background(), recs)
	if err != nil || resp.Accepted != len(recs) {
		t.Fatalf("submit to %s: %v %+v", p.home, err, resp)
	}
}

// A home exported from a stopped peer and imported into a new directory
// runs: the restored peer recovers the blocks its key signed after the
// export from the other members, then signs on. Export refuses a running
// peer; import refuses an existing home and a running peer of the key.
func TestExportImportRestoresAHome(t *testing.T) {
	peers := setupNetwork(t, "Tax Bureau", "Bank A", "Bank B")
	tax := peers[0]
	startAll(t, peers...)
	checkVersionAndHealth(t, tax)
	var first, second []records.Record
	for n := range 100 {
		first = append(first, records.SamplePayment("tax", n, 100))
		second = append(second, records.SamplePayment("tax", 1000+n, 100))
	}
	submitAPI(t, tax, first)
	waitOwnSealed := func() uint64 {
		var h uint64
		eventually(t, 30*time.Second, "the tax bureau's records are sealed and on both banks", func() bool {
			st := status(t, tax)
			h = heightOf(st, "Tax Bureau")
			return st.Pending == 0 && h > 0 && heightOf(status(t, peers[1]), "Tax Bureau") == h && heightOf(status(t, peers[2]), "Tax Bureau") == h
		})
		return h
	}
	exported := waitOwnSealed()

	backup := filepath.Join(t.TempDir(), "tax.tar")
	if _, errOut, code := credmesh(t, "export", "--home", tax.home, "--out", backup); code == 0 || !strings.Contains(errOut, "a peer is running from") {
		t.Fatalf("export of a running peer: exit %d: %s", code, errOut)
	}
	tax.stop()
	out := mustRun(t, "export", "--home", tax.home, "--out", backup)
	if want := "own chain at height " + itoa(exported); !strings.Contains(out, want) {
		t.Fatalf("export: %s (want %q)", out, want)
	}
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the export file: %v %v", fi, err)
	}
	if _, errOut, code := credmesh(t, "export", "--home", tax.home, "--out", backup); code == 0 || !strings.Contains(errOut, "never overwrites") {
		t.Fatalf("export over an existing file: exit %d: %s", code, errOut)
	}

	// The chain goes on after the backup.
	tax.start(t)
	waitSealing(t, tax)
	submitAPI(t, tax, second)
	latest := waitOwnSealed()
	if latest <= exported {
		t.Fatalf("no block after the export: %d", latest)
	}
	restored := filepath.Join(t.TempDir(), "tax-restored")
	if _, errOut, code := credmesh(t, "import", backup, "--home", restored); code == 0 || !strings.Contains(errOut, "is running") {
		t.Fatalf("import while the peer of the key runs: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(restored); err == nil {
		t.Fatalf("a refused import left %s behind", restored)
	}
	tax.stop()
	if _, errOut, code := credmesh(t, "import", backup, "--home", tax.home); code == 0 || !strings.Contains(errOut, "never overwrites") {
		t.Fatalf("import over a home: exit %d: %s", code, errOut)
	}

	// The disk is lost; the home comes back from the backup.
	out = mustRun(t, "import", backup, "--home", restored)
	if !strings.Contains(out, "own chain at height "+itoa(exported)) || !strings.Contains(out, "credmesh run --home "+restored) {
		t.Fatalf("import: %s", out)
	}
	if fi, err := os.Stat(filepath.Join(restored, "key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("restored key: %v %v", fi, err)
	}
	back := &peerProc{home: restored, apiPort: tax.apiPort}
	back.start(t)
	waitSealing(t, back)
	st := status(t, back)
	if h := heightOf(st, "Tax Bureau"); h != latest || st.Recovery.Blocks == 0 {
		t.Fatalf("the restored peer holds its chain to %d (want %d), recovered %d blocks", h, latest, st.Recovery.Blocks)
	}
	if _, err := back.client().Payment(context.Background(), second[7].OrderID); err != nil {
		t.Fatalf("a record sealed after the export, on the restored peer: %v", err)
	}
	submitAPI(t, back, []records.Record{records.SamplePayment("tax", 5000, 100)})
	eventually(t, 30*time.Second, "the banks store the restored peer's next block", func() bool {
		return heightOf(status(t, peers[1]), "Tax Bureau") > latest && heightOf(status(t, peers[2]), "Tax Bureau") > latest
	})
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }

// The binary's version is the one its peer reports, and the probes of a
// real peer answer without a token.
func checkVersionAndHealth(t *testing.T, p *peerProc) {
	t.Helper()
	var v struct {
		Version string `json:"version"`
		Go      string `json:"go"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "version", "--json")), &v); err != nil || v.Version == "" || v.Go == "" {
		t.Fatalf("version --json: %+v %v", v, err)
	}
	if text := mustRun(t, "version"); !strings.HasPrefix(text, "credmesh "+v.Version) {
		t.Fatalf("version: %s", text)
	}
	if st := status(t, p); st.Version != v.Version {
		t.Fatalf("status shows version %q, the binary %q", st.Version, v.Version)
	}
	if text := mustRun(t, "status", "--home", p.home); !strings.Contains(text, "version "+v.Version) {
		t.Fatalf("status text shows no version:\n%s", text)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", p.apiPort, path))
		if err != nil {
			t.Fatal(err)
		}
		var h api.Health
		err = json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || h.Status != "ok" || h.Version != v.Version {
			t.Fatalf("%s: %d %+v %v", path, resp.StatusCode, h, err)
		}
	}
}
