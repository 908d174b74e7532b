package node_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/records"
)

// Status and /metrics show witnessing per witness: what this peer made,
// what it received of each other member, what it missed, how far behind
// each is, and the witness topic's bytes against the blocks topic's.
func TestWitnessingInStatusAndMetrics(t *testing.T) {
	p := config.DefaultGenesisParams()
	p.BlockInterval, p.WitnessPeriod = 200*time.Millisecond, time.Second
	p.QueryFeeMinor, p.FeeCurrency = 200, "CNY"
	n, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "witness-test", Members: devnet.DefaultMembers[:2], Params: p})
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
	tax, bank := n.Node(0), n.Node(1)
	if _, err := api.NewClient(tax.APIAddr(), "").Submit(context.Background(), []records.Record{records.SamplePayment("tax", 1, 10)}); err != nil {
		t.Fatal(err)
	}
	var w api.WitnessStatus
	var last *api.WitnessingStatus
	t.Cleanup(func() {
		if t.Failed() && last != nil {
			t.Logf("the bank's last witnessing status: %+v", *last)
		}
	})
	// A statement gossiped before the bank joined the witness mesh is not
	// sent again while no head moves, so new records keep the tax
	// bureau cosigning until one arrives.
	next, lastSubmit := 2, time.Now()
	waitLong(t, "the bank has received the tax bureau's statements and it is not behind", func() bool {
		if time.Since(lastSubmit) > 2*time.Second && (bank.Status().Witnessing == nil || len(bank.Status().Witnessing.Witnesses) == 0 || bank.Status().Witnessing.Witnesses[0].Received == 0) {
			if _, err := api.NewClient(tax.APIAddr(), "").Submit(context.Background(), []records.Record{records.SamplePayment("tax", next, 10)}); err != nil {
				t.Fatal(err)
			}
			next, lastSubmit = next+1, time.Now()
		}
		st := bank.Status()
		last = st.Witnessing
		if st.Witnessing == nil || st.Witnessing.Made == 0 || len(st.Witnessing.Witnesses) != 1 {
			return false
		}
		w = st.Witnessing.Witnesses[0]
		last = st.Witnessing
		return w.Received >= 1 && w.BlocksBehind == 0 && w.LastCosigned != ""
	})
	if w.Rejected != 0 || w.OtherView != 0 || w.Forked || w.Name == "" {
		t.Fatalf("the bank's view of the tax bureau as a witness: %+v", w)
	}
	r, err := http.Get("http://" + bank.APIAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(r.Body)
	r.Body.Close()
	for _, want := range []string{"credmesh_witness_cosigned_total ", "credmesh_witness_received_total{", "credmesh_witness_missing_total{",
		"credmesh_witness_statements_rejected_total{", "credmesh_witness_other_view_total{", "credmesh_witness_forked{", "credmesh_witness_blocks_behind{",
		"credmesh_witness_seconds_behind{", "credmesh_witness_gossip_bytes_in_total ", "credmesh_witness_gossip_bytes_out_total ",
		"credmesh_block_gossip_bytes_in_total "} {
		if !strings.Contains(string(data), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(string(data), "credmesh_witness_gossip_bytes_in_total 0\n") {
		t.Error("no witness gossip bytes counted")
	}
}

// waitLong awaits cond with a timeout generous for a loaded machine: the
// statements come once a witness period (1 s here) from another process.
func waitLong(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}
