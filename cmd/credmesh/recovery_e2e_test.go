package main_test

import (
	"context"
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
	"github.com/credmesh/credmesh/records"
)

// startAll starts every peer, then waits until each has recovered its own
// chain from the others and takes records: a peer alone among members of
// a larger genesis waits for them before it signs.
// noForks fails if any member records evidence against any chain.
func noForks(t *testing.T, peers ...*peerProc) {
	t.Helper()
	for _, p := range peers {
		st, err := p.client().Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range st.Chains {
			if c.Forked {
				t.Fatalf("%s records %s as forked:\n%s", p.home, c.Name, p.log)
			}
		}
		if st.Recovery == nil || st.Recovery.State == "halted" {
			t.Fatalf("%s: recovery %+v", p.home, st.Recovery)
		}
	}
}

// submitBatch submits n payments from first on and waits until every
// member holds the tax bureau's chain up to the block that sealed them.
func submitBatch(t *testing.T, tax *peerProc, others []*peerProc, first, n int) (uint64, string) {
	t.Helper()
	var recs []records.Record
	for i := range n {
		recs = append(recs, records.SamplePayment("tax", first+i, 100))
	}
	resp, err := tax.client().Submit(context.Background(), recs)
	if err != nil || resp.Accepted != n {
		t.Fatalf("submit %d from %d: %+v, %v", n, first, resp, err)
	}
	var height uint64
	var hash string
	eventually(t, 20*time.Second, "the records are sealed and reach every member", func() bool {
		st, err := tax.client().Status(context.Background())
		if err != nil || st.Pending > 0 {
			return false
		}
		height, hash = headOf(*st, "Tax Bureau")
		for _, p := range others {
			st, err := p.client().Status(context.Background())
			if err != nil {
				return false
			}
			if h, x := headOf(*st, "Tax Bureau"); h != height || x != hash {
				return false
			}
		}
		return true
	})
	return height, hash
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	if err := os.RemoveAll(to); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

func metric(t *testing.T, p *peerProc, name string) string {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", p.apiPort))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}

// Issue 9's first test, across processes: a member restored from a
// snapshot two blocks old, and a member whose data/ was deleted, rejoin a
// three-member network, recover their own chain, accept 500 new records
// that reach the other members, and no member ever records evidence
// against them.
func TestRestoredAndWipedMembersRecoverTheirChain(t *testing.T) {
	peers := setupNetwork(t, "Tax Bureau", "Bank A", "Bank B")
	tax, banks := peers[0], peers[1:]
	data := filepath.Join(tax.home, "data")
	startAll(t, peers...)
	next := 0
	batch := func(n int) (uint64, string) {
		h, x := submitBatch(t, tax, banks, next, n)
		next += n
		return h, x
	}
	batch(100)

	// A snapshot of data/, taken while the peer was stopped; then two
	// more blocks the snapshot lacks, each held by both banks.
	tax.stop()
	snapshot := filepath.Join(t.TempDir(), "snapshot")
	copyTree(t, data, snapshot)
	tax.start(t)
	eventually(t, 30*time.Second, "the tax bureau takes records again", func() bool {
		st, err := tax.client().Status(context.Background())
		return err == nil && st.Recovery.State == "sealing"
	})
	h1, _ := batch(50)
	h2, hash2 := batch(50)
	if h2 != h1+1 {
		t.Fatalf("the two batches made blocks %d and %d, want two in a row", h1, h2)
	}
	tax.stop()
	copyTree(t, snapshot, data)
	tax.start(t)
	eventually(t, 30*time.Second, "the restored member recovers the two blocks its snapshot lacked", func() bool {
		st, err := tax.client().Status(context.Background())
		if err != nil || st.Recovery.State != "sealing" {
			return false
		}
		h, x := headOf(*st, "Tax Bureau")
		return h == h2 && x == hash2
	})
	if st, _ := tax.client().Status(context.Background()); st.Recovery.Blocks != 2 || st.Recovery.Answered < 1 {
		t.Fatalf("recovery after the restore: %+v", st.Recovery)
	}
	h3, _ := batch(500)
	if h3 <= h2 {
		t.Fatalf("500 records after the restore: head %d, was %d", h3, h2)
	}
	noForks(t, peers...)

	// data/ deleted, and the other members down: the peer recovers
	// nothing and refuses records with 503 until they are back.
	for _, p := range peers {
		p.stop()
	}
	if err := os.RemoveAll(data); err != nil {
		t.Fatal(err)
	}
	tax.start(t)
	var apiErr *api.Error
	if _, err := tax.client().Submit(context.Background(), []records.Record{records.SamplePayment("tax", next, 100)}); !errors.As(err, &apiErr) ||
		apiErr.Status != http.StatusServiceUnavailable || !strings.Contains(apiErr.Message, "recovering own chain from the network") {
		t.Fatalf("submit while recovering: %v", err)
	}
	if out := mustRun(t, "status", "--home", tax.home); !strings.Contains(out, "own chain: recovering from the network (0 of 1 members answered") {
		t.Fatalf("status while recovering:\n%s", out)
	}
	if v := metric(t, tax, "credmesh_own_chain_recovering"); v != "1" {
		t.Fatalf("credmesh_own_chain_recovering %q while recovering", v)
	}
	startAll(t, banks...)
	eventually(t, 30*time.Second, "the wiped member recovers its whole chain", func() bool {
		st, err := tax.client().Status(context.Background())
		if err != nil || st.Recovery.State != "sealing" {
			return false
		}
		h, _ := headOf(*st, "Tax Bureau")
		return h == h3
	})
	if v := metric(t, tax, "credmesh_own_chain_recovering"); v != "0" {
		t.Fatalf("credmesh_own_chain_recovering %q after recovery", v)
	}
	h4, _ := batch(500)
	if h4 <= h3 {
		t.Fatalf("500 records after the wipe: head %d, was %d", h4, h3)
	}
	noForks(t, peers...)
	for _, p := range peers {
		if v := metric(t, p, "credmesh_forked_issuers"); v != "0" {
			t.Fatalf("%s: credmesh_forked_issuers %q", p.home, v)
		}
	}
}
