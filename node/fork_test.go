package node_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/internal/openapicheck"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/credmesh/credmesh/records"
	"github.com/libp2p/go-libp2p/core/peer"
)

// A member holding evidence against the tax bureau (kept in its store
// from an earlier run) marks the bureau's payment forked in its HTTP
// answer, with the evidence, and serves the same evidence to a light
// client, which reports the fork; its credit report marks the bureau too.
func TestForkedIssuerIsReportedEverywhere(t *testing.T) {
	ctx := withTimeout(t, 60*time.Second)
	// The bureau answers credit queries too here, so the report has its
	// part to mark.
	bureau := devnet.DefaultMembers[0]
	bureau.Roles = []config.Role{config.RolePayments, config.RoleCredit, config.RoleQuery}
	net, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "fork-test", Members: []devnet.Member{bureau, devnet.DefaultMembers[1]}})
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := net.Stop(); err != nil {
			t.Errorf("stopping: %v", err)
		}
	})
	pay := records.SamplePayment("tax", 3, 10)
	if r, err := api.NewClient(net.Node(0).APIAddr(), "").Submit(ctx, []records.Record{pay}); err != nil || r.Accepted != 1 {
		t.Fatalf("submit: %+v %v", r, err)
	}
	if err := net.WaitInSync(ctx, nil); err != nil {
		t.Fatal(err)
	}

	// Two headers the bureau's key signed at height 1.
	o, err := node.LoadOptions(net.Homes[0])
	if err != nil {
		t.Fatal(err)
	}
	g := o.Genesis
	var hs []*chain.SignedHeader
	for _, e := range []string{"one", "two"} {
		b, err := chain.NewBlock(g.NetworkID(), nil, [][]byte{[]byte(e)}, o.Key, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, b.SignedHeader)
	}
	ev := chain.NewEvidence(hs[0], hs[1])
	if err := net.StopPeer(1); err != nil {
		t.Fatal(err)
	}
	bo, err := node.LoadOptions(net.Homes[1])
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(bo.Home.DataDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveEvidence(ev); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := net.StartPeer(1); err != nil {
		t.Fatal(err)
	}
	if err := net.WaitReady(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	bank := net.Node(1)
	wantHashes := []string{ev.A.Hash.String(), ev.B.Hash.String()}

	// The HTTP API: the record, marked forked, with the evidence, as
	// docs/openapi.yaml describes it.
	doc := loadOpenAPI(t)
	status, body := doc.Do(t, "http://"+bank.APIAddr(), openapicheck.Request{Method: "GET", Path: "/v1/payments/" + pay.OrderID, Valid: true})
	var got api.PaymentLookup
	if err := json.Unmarshal(body, &got); err != nil || status != 200 || len(got.Records) != 1 || !got.Records[0].Forked {
		t.Fatalf("the forked bureau's payment from the API: %d %s %v", status, body, err)
	}
	if len(got.Forks) != 1 || got.Forks[0].Issuer != got.Records[0].Issuer || got.Forks[0].Height != 1 || !slices.Equal(got.Forks[0].Hashes, wantHashes) {
		t.Fatalf("the API's evidence: %+v, want hashes %v", got.Forks, wantHashes)
	}

	// A light client asking the bank: the same evidence, a fork.
	key, err := config.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	boot := []peer.AddrInfo{bank.Network().AddrInfo()}
	ln, err := p2p.New(p2p.Config{Params: g.ChainParams(), GenesisHash: g.Hash(), Members: g.Members(), Key: key,
		Bootstrap: boot, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	lc, err := queryproto.NewLightClient(ln.Host(), queryproto.Genesis{NetworkID: g.NetworkID(), Members: g.Members(), Bootstrap: boot})
	if err != nil {
		t.Fatal(err)
	}
	res, err := lc.Lookup(ctx, pay.OrderID, bank.PeerID())
	var fe *queryproto.ForkError
	if !errors.As(err, &fe) || fe.Evidence == nil || fe.Evidence.A.Hash != ev.A.Hash || fe.Evidence.B.Hash != ev.B.Hash ||
		!slices.Equal(fe.ServedBy, []peer.ID{bank.PeerID()}) || len(res.Payments) != 1 || !res.Payments[0].Forked {
		t.Fatalf("a light client asking the bank: %v, want ErrForked with the bank's evidence", err)
	}

	// The bank's credit report marks the bureau's part: the report asks
	// the members with the credit role only.
	const credit = 2
	subject := *records.SampleCreditEvents("bank-a", 0, 1)[0].Subject
	status, body = doc.Do(t, "http://"+bank.APIAddr(), openapicheck.Request{Method: "POST", Path: "/v1/report", Valid: true,
		Body: jsonBody(t, api.ReportRequest{Subject: subject, Purpose: "loan_application", ConsentRef: "C-1"})})
	var rep api.ReportView
	if err := json.Unmarshal(body, &rep); err != nil || status != 200 {
		t.Fatalf("report: %d %s %v", status, body, err)
	}
	if len(rep.Members) != credit {
		t.Fatalf("report of %d members, want the %d with the credit role", len(rep.Members), credit)
	}
	marked := 0
	for _, m := range rep.Members {
		if m.Forked {
			marked++
		}
		if m.Forked != (m.Name == o.Config.Name) {
			t.Fatalf("report member %s marked forked: %v", m.Name, m.Forked)
		}
	}
	if marked != 1 {
		t.Fatalf("%d report members marked forked, want the bureau", marked)
	}
}
