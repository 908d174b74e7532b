package node_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/records"
)

func startNet(t *testing.T, members int) *devnet.Net {
	t.Helper()
	n, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "api-test", Members: devnet.DefaultMembers[:members]})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Stop(); err != nil {
			t.Errorf("stopping: %v", err)
		}
	})
	return n
}

func TestAPIOverHTTP(t *testing.T) {
	ctx := context.Background()
	net := startNet(t, 2)
	tax, bank := net.Node(0), net.Node(1)
	c := api.NewClient(tax.APIAddr(), "")

	recs := []records.Record{records.SamplePayment("tax", 1, 10), records.SamplePayment("tax", 2, 10)}
	bad := records.SamplePayment("tax", 3, 10)
	bad.Currency = "XYZ"
	recs = append(recs, bad, recs[0])
	resp, err := c.Submit(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Accepted != 2 || resp.Refused != 1 || resp.Duplicates != 1 {
		t.Fatalf("accepted %d, refused %d, duplicates %d: %+v", resp.Accepted, resp.Refused, resp.Duplicates, resp.Results)
	}
	if resp.Results[2].Status != api.StatusRefused || resp.Results[3].Status != api.StatusDuplicate {
		t.Fatalf("a bad currency and an order ID sent twice: %+v", resp.Results)
	}
	if !strings.Contains(resp.Results[2].Error, "currency") || !strings.Contains(resp.Results[3].Error, "already accepted") {
		t.Fatalf("refusals do not say why: %+v", resp.Results)
	}

	if err := net.WaitInSync(withTimeout(t, 20*time.Second), nil); err != nil {
		t.Fatal(err)
	}
	// Once sealed: the same record again is a duplicate; another record
	// under its order ID is refused, never taken for a resubmission.
	other := recs[0]
	other.AmountMinor++
	resp, err = c.Submit(ctx, []records.Record{recs[0], other})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Results[0].Status != api.StatusDuplicate || resp.Results[1].Status != api.StatusRefused ||
		!strings.Contains(resp.Results[1].Error, "already used by another payment") {
		t.Fatalf("a resubmission and a reused order ID: %+v", resp.Results)
	}
	st, err := api.NewClient(bank.APIAddr(), "").Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Chains) != 1 || st.Chains[0].Name != devnet.DefaultMembers[0].Name || st.Members.Connected != 1 {
		t.Fatalf("the bank's status: %+v", st)
	}
	blk, err := api.NewClient(bank.APIAddr(), "").Block(ctx, st.Chains[0].Issuer, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(blk.Entries) != 2 || blk.Entries[0].Kind != "payment" {
		t.Fatalf("block 1 as the bank serves it: %+v", blk)
	}
	var apiErr *api.Error
	if _, err := c.Block(ctx, st.Chains[0].Issuer, 99); !errors.As(err, &apiErr) || apiErr.Status != 404 || apiErr.Code != "not_found" {
		t.Fatalf("missing block: %v", err)
	}
	if _, err := c.Block(ctx, "not-a-peer", 1); !errors.As(err, &apiErr) || apiErr.Status != 400 {
		t.Fatalf("bad issuer: %v", err)
	}

	// Malformed bodies get a JSON error.
	for _, body := range []string{"{", `{"records": []}`, `{"records": [{"type": "payment"}], "extra": 1}`} {
		r, err := http.Post("http://"+tax.APIAddr()+"/v1/records", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != 400 || !strings.Contains(string(data), `"code": "bad_request"`) {
			t.Fatalf("body %q: %d %s", body, r.StatusCode, data)
		}
	}

	// Metrics: a real scrape; records not accepted (duplicates too) count as refused.
	r, err := http.Get("http://" + tax.APIAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(r.Body)
	r.Body.Close()
	for _, want := range []string{"credmesh_records_accepted_total 2", "credmesh_records_refused_total 4", "credmesh_member_peers 1", "credmesh_chain_height{", "go_goroutines"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func errorAs(err error, target **api.Error) bool { return errors.As(err, target) }
