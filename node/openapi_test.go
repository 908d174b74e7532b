package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain/cert"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/internal/openapicheck"
	"github.com/credmesh/credmesh/records"
)

func loadOpenAPI(t *testing.T) *openapicheck.Doc {
	t.Helper()
	d, err := openapicheck.Load("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func jsonBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every endpoint of real peers, with the status codes a peer can be made
// to answer, checked request and response against docs/openapi.yaml.
func TestAPIMatchesOpenAPIDocument(t *testing.T) {
	doc := loadOpenAPI(t)
	netDir := t.TempDir()
	net, err := devnet.Create(devnet.Options{Dir: netDir, Network: "openapi-test", Members: []devnet.Member{
		devnet.DefaultMembers[0], devnet.DefaultMembers[1],
		{Dir: "fund", Name: "Housing Fund Centre", Roles: []config.Role{config.RolePayments}},
	}})
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
	tax, bankA, fund := "http://"+net.Node(0).APIAddr(), "http://"+net.Node(1).APIAddr(), "http://"+net.Node(2).APIAddr()
	do := func(base string, r openapicheck.Request) (int, []byte) {
		t.Helper()
		return doc.Do(t, base, r)
	}
	want := func(what string, status, wantStatus int, body []byte) {
		t.Helper()
		if status != wantStatus {
			t.Errorf("%s: answered %d, want %d: %s", what, status, wantStatus, body)
		}
	}
	get := func(base, path string) (int, []byte) {
		t.Helper()
		return do(base, openapicheck.Request{Method: "GET", Path: path, Valid: true})
	}
	post := func(base, path string, body []byte, valid bool) (int, []byte) {
		t.Helper()
		return do(base, openapicheck.Request{Method: "POST", Path: path, Body: body, Valid: valid})
	}

	// A fresh network: no chain yet.
	st, body := get(tax, "/v1/chains")
	want("chains of a fresh peer", st, 200, body)
	if !bytes.Contains(body, []byte(`"chains": []`)) {
		t.Errorf("a peer without chains answers %s, want an empty list", body)
	}

	// Submissions.
	pay := records.SamplePayment("tax", 1, 10)
	badCurrency := records.SamplePayment("tax", 2, 10)
	badCurrency.Currency = "XYZ"
	st, body = post(tax, "/v1/records", jsonBody(t, api.SubmitRequest{Records: []records.Record{pay, records.SamplePayment("tax", 3, 10), badCurrency, pay}}), true)
	want("a submission", st, 200, body)
	var sub api.SubmitResponse
	if err := json.Unmarshal(body, &sub); err != nil || sub.Accepted != 2 || sub.Refused != 1 || sub.Duplicates != 1 || sub.Results[3].Status != api.StatusDuplicate {
		t.Fatalf("submission results: %s %v", body, err)
	}
	for name, b := range map[string]string{
		"not JSON":           "{",
		"no records":         `{"records": []}`,
		"records left out":   `{}`,
		"an unknown field":   `{"records": [{"type": "payment"}], "extra": 1}`,
		"a field misspelled": `{"records": [{"type": "payment", "order": "X"}]}`,
		"a wrong type":       `{"records": [{"type": "payment", "amount_minor": "10"}]}`,
		"a negative amount":  `{"records": [{"type": "payment", "amount_minor": -1}]}`,
	} {
		st, body := post(tax, "/v1/records", []byte(b), false)
		want(name, st, 400, body)
	}
	many := []byte(`{"records": [` + strings.Repeat(`{"type": "payment"},`, api.MaxSubmitRecords) + `{"type": "payment"}]}`)
	st, body = post(tax, "/v1/records", many, false)
	want("20,001 records", st, 413, body)
	huge := append(bytes.Repeat([]byte(" "), api.MaxSubmitBytes), `{"records": [{"type": "payment"}]}`...)
	st, body = post(tax, "/v1/records", huge, true)
	want("a body over 16 MiB", st, 413, body)

	// A second payments member publishes under the tax bureau's order ID.
	shadow := pay
	shadow.AmountMinor = 1
	st, body = post(fund, "/v1/records", jsonBody(t, api.SubmitRequest{Records: []records.Record{shadow}}), true)
	want("a payment under a used order ID", st, 200, body)

	// Credit data: private imports, a published overdue event, a credit
	// event submitted to the chain, a payment refused as private data.
	events := records.SampleCreditEvents("bank-a", 0, 10) // opened and overdue
	st, body = post(bankA, "/v1/credit/import", jsonBody(t, api.ImportRequest{Records: events, Publish: true}), true)
	want("an import", st, 200, body)
	st, body = post(bankA, "/v1/credit/import", jsonBody(t, api.ImportRequest{Records: []records.Record{pay}}), true)
	want("a payment imported", st, 200, body)
	st, body = post(bankA, "/v1/credit/import", []byte(`{"records": [], "publish": true}`), false)
	want("an empty import", st, 400, body)
	st, body = post(bankA, "/v1/records", jsonBody(t, api.SubmitRequest{Records: records.SampleCreditEvents("bank-a", 1, 10)[:1]}), true)
	want("a credit event", st, 200, body)
	if err := net.WaitInSync(withTimeout(t, 20*time.Second), nil); err != nil {
		t.Fatal(err)
	}

	// A report, which leaves receipts on the responders' chains.
	report := api.ReportRequest{Subject: *events[0].Subject, Purpose: "loan_application", ConsentRef: "CONSENT-1"}
	st, body = post(bankA, "/v1/report", jsonBody(t, report), true)
	want("a report", st, 200, body)
	if !bytes.Contains(body, []byte(`"purpose": "loan_application"`)) {
		t.Errorf("a report shows its purpose otherwise than as written: %s", body)
	}
	legacy := report
	legacy.Purpose = "QUERY_PURPOSE_LOAN_APPLICATION" // as responses showed it before
	st, body = post(bankA, "/v1/report", jsonBody(t, legacy), true)
	want("a report with the protobuf name of its purpose", st, 200, body)
	bad := report
	bad.Purpose = "curiosity"
	st, body = post(bankA, "/v1/report", jsonBody(t, bad), true)
	want("a report for an unknown purpose", st, 400, body)
	bad = report
	bad.ConsentRef = ""
	st, body = post(bankA, "/v1/report", jsonBody(t, bad), true)
	want("a report without consent", st, 400, body)
	st, body = post(bankA, "/v1/report", []byte(`{"subject": {"id": "1"}, "purpose": "loan_application", "consent_ref": "C", "why": "x"}`), false)
	want("a report with an unknown field", st, 400, body)
	st, body = post(fund, "/v1/report", jsonBody(t, report), true)
	want("a report asked by a member without the query role", st, 403, body)
	if err := net.WaitInSync(withTimeout(t, 20*time.Second), nil); err != nil {
		t.Fatal(err)
	}

	// Status, chains and every block of every chain: payments, credit
	// events and receipts, described.
	st, body = get(bankA, "/v1/status")
	want("status", st, 200, body)
	st, body = get(bankA, "/v1/chains")
	want("chains", st, 200, body)
	var chains struct{ Chains []api.ChainStatus }
	if err := json.Unmarshal(body, &chains); err != nil || len(chains.Chains) < 3 {
		t.Fatalf("chains: %s %v", body, err)
	}
	kinds := map[string]bool{}
	for _, c := range chains.Chains {
		for h := uint64(1); h <= c.Height; h++ {
			st, body := get(bankA, fmt.Sprintf("/v1/chains/%s/blocks/%d", c.Issuer, h))
			want("a block", st, 200, body)
			var b api.BlockView
			json.Unmarshal(body, &b)
			for _, e := range b.Entries {
				kinds[e.Kind] = true
			}
		}
	}
	for _, k := range []string{"payment", "credit_event", "query_receipt"} {
		if !kinds[k] {
			t.Errorf("no block showed an entry of kind %s", k)
		}
	}
	issuer := chains.Chains[0].Issuer
	for path, code := range map[string]int{
		"/v1/chains/" + issuer + "/blocks/999": 404,
		"/v1/chains/" + issuer + "/blocks/0":   400,
		"/v1/chains/" + issuer + "/blocks/one": 400,
		"/v1/chains/not-a-peer/blocks/1":       400,
	} {
		st, body := get(bankA, path)
		want(path, st, code, body)
	}

	// Payments from a replica.
	st, body = get(bankA, "/v1/payments/"+url.PathEscape(records.SamplePayment("tax", 3, 10).OrderID))
	want("a payment", st, 200, body)
	st, body = get(bankA, "/v1/payments/"+url.PathEscape(pay.OrderID))
	want("a payment two issuers published", st, 409, body)
	st, body = get(bankA, "/v1/payments/NO-SUCH-ORDER-0001")
	want("an unknown order ID", st, 404, body)
	st, body = get(bankA, "/v1/payments/short")
	want("an order ID too short", st, 400, body)
	// Its certificate, which verifies offline against the genesis.
	st, body = get(bankA, "/v1/payments/"+url.PathEscape(records.SamplePayment("tax", 3, 10).OrderID)+"/certificate")
	want("a payment's certificate", st, 200, body)
	g, err := config.Home(filepath.Join(netDir, "bank-a")).LoadGenesis()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cert.Verify(body, cert.Trust{NetworkID: g.NetworkID(), GenesisHash: g.Hash(), Members: g.Members()}, 0); err != nil {
		t.Errorf("the API's certificate: %v", err)
	}
	st, body = get(bankA, "/v1/payments/"+url.PathEscape(records.SamplePayment("tax", 3, 10).OrderID)+"/certificate?sealed=true")
	want("a sealed certificate", st, 200, body)
	st, body = get(bankA, "/v1/payments/"+url.PathEscape(pay.OrderID)+"/certificate")
	want("the certificate of a payment two issuers published", st, 409, body)
	st, body = get(bankA, "/v1/payments/NO-SUCH-ORDER-0001/certificate")
	want("the certificate of an unknown order ID", st, 404, body)
	st, body = get(bankA, "/v1/payments/short/certificate")
	want("the certificate of an order ID too short", st, 400, body)
	st, body = do(bankA, openapicheck.Request{Method: "GET", Path: "/v1/payments/NO-SUCH-ORDER-0001/certificate?sealed=maybe", Valid: false})
	want("sealed=maybe", st, 400, body)

	// Billing.
	st, body = get(bankA, "/v1/billing?period="+time.Now().UTC().Format("2006-01"))
	want("billing", st, 200, body)
	st, body = get(bankA, "/v1/billing?period=2026-13")
	want("billing of month 13", st, 400, body)
	st, body = do(bankA, openapicheck.Request{Method: "GET", Path: "/v1/billing", Valid: false})
	want("billing without a period", st, 400, body)

	// Corrections: a replaced payment, a withdrawn event, and refusals.
	fixed := records.SamplePayment("tax", 3, 10)
	fixed.AmountMinor++
	st, body = post(tax, "/v1/corrections", jsonBody(t, api.CorrectionRequest{Target: api.CorrectionTarget{Type: "payment", OrderID: fixed.OrderID}, Action: "replace", Replacement: &fixed, Reason: "amount mistyped"}), true)
	want("a replacement", st, 200, body)
	st, body = post(bankA, "/v1/corrections", jsonBody(t, api.CorrectionRequest{Target: api.CorrectionTarget{Type: "credit_event", EventID: events[1].EventID}, Action: "withdraw", Reason: "wrong person"}), true)
	want("a withdrawal", st, 200, body)
	st, body = post(bankA, "/v1/corrections", jsonBody(t, api.CorrectionRequest{Target: api.CorrectionTarget{Type: "credit_event", EventID: "NO-SUCH-EVENT"}, Action: "withdraw", Reason: "x"}), true)
	want("a correction of nothing", st, 404, body)
	st, body = post(bankA, "/v1/corrections", jsonBody(t, api.CorrectionRequest{Target: api.CorrectionTarget{Type: "payment", OrderID: fixed.OrderID}, Action: "withdraw", Reason: "x"}), true)
	want("a bank correcting a payment", st, 403, body)
	st, body = post(bankA, "/v1/corrections", []byte(`{"target": {"type": "credit_event", "event_id": "E-1"}, "action": "withdraw"}`), false)
	want("a correction without a reason", st, 400, body)
	if err := net.WaitInSync(withTimeout(t, 20*time.Second), nil); err != nil {
		t.Fatal(err)
	}
	// Disputes: the subject of bank A's events disputes one at the tax
	// bureau; bank A confirms it.
	taxID, bankAID := net.Node(0).PeerID().String(), net.Node(1).PeerID().String()
	overdue := events[1] // the overdue event published above
	st, body = post(tax, "/v1/disputes", jsonBody(t, api.DisputeRequest{DisputeID: "D-1", Subject: *overdue.Subject,
		Target: api.DisputeTarget{Issuer: bankAID, Type: "credit_event", EventID: overdue.EventID}, Statement: "not mine"}), true)
	want("a dispute", st, 200, body)
	st, body = post(tax, "/v1/disputes", jsonBody(t, api.DisputeRequest{Subject: *overdue.Subject,
		Target: api.DisputeTarget{Issuer: bankAID, Type: "credit_event", EventID: "NO-SUCH"}, Statement: "x"}), true)
	want("a dispute of nothing", st, 404, body)
	st, body = post(tax, "/v1/disputes", []byte(`{"subject": {"kind": "cn-rid", "id": "1"}, "target": {"issuer": "x", "type": "payment"}}`), false)
	want("a dispute without a statement", st, 400, body)
	if err := net.WaitInSync(withTimeout(t, 20*time.Second), nil); err != nil {
		t.Fatal(err)
	}
	st, body = get(bankA, "/v1/disputes")
	want("the bank's disputes", st, 200, body)
	st, body = get(bankA, "/v1/disputes?issuer=not-a-peer")
	want("disputes of a bad peer ID", st, 400, body)
	st, body = post(tax, "/v1/disputes/confirm", jsonBody(t, api.ConfirmRequest{Disputer: taxID, DisputeID: "D-1", Reason: "x"}), true)
	want("a confirmation by a member not the issuer", st, 403, body)
	st, body = post(bankA, "/v1/disputes/confirm", jsonBody(t, api.ConfirmRequest{Disputer: taxID, DisputeID: "NO-SUCH", Reason: "x"}), true)
	want("a confirmation of nothing", st, 404, body)
	st, body = post(bankA, "/v1/disputes/confirm", jsonBody(t, api.ConfirmRequest{Disputer: taxID, DisputeID: "D-1", Reason: "on file"}), true)
	want("a confirmation", st, 200, body)
	st, body = post(bankA, "/v1/disputes/confirm", jsonBody(t, api.ConfirmRequest{Disputer: taxID, DisputeID: "D-1", Reason: "again"}), true)
	want("a second confirmation", st, 400, body)
	st, body = post(bankA, "/v1/report", jsonBody(t, api.ReportRequest{Subject: *overdue.Subject, Purpose: "loan_application", ConsentRef: "C-2"}), true)
	want("a report with a dispute", st, 200, body)
	if !bytes.Contains(body, []byte(`"not mine"`)) {
		t.Errorf("a report does not show the subject's statement: %s", body)
	}

	st, body = get(bankA, "/v1/payments/"+url.PathEscape(fixed.OrderID))
	want("a corrected payment", st, 200, body)
	if !bytes.Contains(body, []byte(`"history"`)) {
		t.Errorf("a corrected payment shows no history: %s", body)
	}

	exerciseExplorerAPI(t, doc, net.Node(1), "openapi-test", pay.OrderID, *events[0].Subject)
	// Health: alive and ready, without the token too (below).
	st, body = get(tax, "/healthz")
	want("healthz", st, 200, body)
	st, body = get(tax, "/readyz")
	want("readyz of a peer in sync", st, 200, body)

	// Metrics.
	st, body = get(tax, "/metrics")
	want("metrics", st, 200, body[:min(len(body), 200)])
	if !bytes.Contains(body, []byte(`credmesh_build_info{commit=`)) || !bytes.Contains(body, []byte(`version="`)) {
		t.Errorf("metrics carry no credmesh_build_info with the version")
	}

	// Paths and methods the API does not serve: a JSON error, 404.
	for _, r := range []struct{ method, path string }{{"GET", "/v1/nothing"}, {"POST", "/v1/status"}, {"GET", "/v1/records"}, {"DELETE", "/v1/chains"}} {
		st, body := rawJSON(t, r.method, tax+r.path, nil, "")
		want(r.method+" "+r.path, st, 404, body)
		if err := doc.CheckError(body, "not_found"); err != nil {
			t.Errorf("%s %s: %v", r.method, r.path, err)
		}
	}

	// A token: the same node behind a server that requires one.
	const token = "0123456789abcdef-openapi"
	srv, err := api.Listen(net.Node(0), api.Options{Listen: "127.0.0.1:0", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	defer srv.Shutdown(context.Background())
	guarded := "http://" + srv.Addr()
	for _, h := range []http.Header{nil, {"Authorization": {"Bearer wrong-token-0123456"}}, {"Authorization": {"bearer " + token}}, {"Authorization": {token}}} {
		st, body := do(guarded, openapicheck.Request{Method: "GET", Path: "/v1/status", Header: h, Valid: true})
		want(fmt.Sprintf("status with %v", h), st, 401, body)
	}
	st, body = do(guarded, openapicheck.Request{Method: "POST", Path: "/v1/records", Body: []byte("{"), Valid: false})
	want("a malformed submission without the token", st, 401, body)
	st, body = do(guarded, openapicheck.Request{Method: "GET", Path: "/v1/status", Header: http.Header{"Authorization": {"Bearer " + token}}, Valid: true})
	want("status with the token", st, 200, body)
	for _, path := range []string{"/healthz", "/readyz"} {
		st, body = get(guarded, path)
		want(path+" without the token", st, 200, body)
	}

	// Acknowledging a fork: none here, so 404; a bad peer ID or no note, 400.
	bankID := net.Node(1).PeerID().String()
	st, body = post(tax, "/v1/forks/"+bankID+"/ack", []byte(`{"note": "checked with the bank"}`), true)
	want("acknowledging a fork that is not there", st, 404, body)
	st, body = post(tax, "/v1/forks/not-a-peer/ack", []byte(`{"note": "x"}`), true)
	want("acknowledging the fork of a bad peer ID", st, 400, body)
	st, body = post(tax, "/v1/forks/"+bankID+"/ack", []byte(`{"note": " "}`), true)
	want("acknowledging with an empty note", st, 400, body)

	// Membership decisions (member.go).
	membershipRequests(t, want, get, post, tax, bankA, bankID)

	// A peer recovering its own chain, with no other member to answer it,
	// takes no records.
	for i := 2; i >= 0; i-- {
		if err := net.StopPeer(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := net.StartPeer(0); err != nil {
		t.Fatal(err)
	}
	tax = "http://" + net.Node(0).APIAddr()
	st, body = get(tax, "/v1/status")
	want("status while recovering", st, 200, body)
	st, body = post(tax, "/v1/records", jsonBody(t, api.SubmitRequest{Records: []records.Record{records.SamplePayment("tax", 9, 10)}}), true)
	want("a submission while recovering", st, 503, body)
	st, body = get(tax, "/readyz")
	want("readyz while recovering", st, 503, body)
	var ready api.Health
	if err := json.Unmarshal(body, &ready); err != nil || ready.Status != "not_ready" || len(ready.Checks) != 4 || ready.Checks[0].OK || ready.Checks[0].Name != "own_chain" {
		t.Errorf("readyz while recovering: %s", body)
	}
	st, body = get(tax, "/healthz")
	want("healthz while recovering", st, 200, body)

	ops, statuses := doc.Unexercised()
	if len(ops) > 0 {
		t.Errorf("operations of the document no request reached: %v", ops)
	}
	t.Logf("documented statuses this test cannot make a real peer answer (api's tests check them): %v", statuses)
}

// rawJSON sends a request outside the document's operations.
func rawJSON(t *testing.T, method, url string, body []byte, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}
