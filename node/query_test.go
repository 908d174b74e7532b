package node_test

import (
	"context"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/records"
)

// Payments, private credit data, a credit report and billing, through the
// API of real peers.
func TestReportsReceiptsAndBilling(t *testing.T) {
	ctx := context.Background()
	net := startNet(t, 3)
	tax, bankA, bankB := api.NewClient(net.Node(0).APIAddr(), ""), api.NewClient(net.Node(1).APIAddr(), ""), api.NewClient(net.Node(2).APIAddr(), "")

	pay := records.SamplePayment("tax", 7, 10)
	if r, err := tax.Submit(ctx, []records.Record{pay}); err != nil || r.Accepted != 1 {
		t.Fatalf("submit: %+v %v", r, err)
	}
	// Bank B keeps loan 0's events private; its overdue event goes on chain.
	events := records.SampleCreditEvents("bank-b", 0, 10)
	if r, err := bankB.ImportCredit(ctx, events, true); err != nil || r.Accepted != len(events) {
		t.Fatalf("import: %+v %v", r, err)
	}
	if r, err := bankB.ImportCredit(ctx, []records.Record{pay}, false); err != nil || r.Refused != 1 {
		t.Fatalf("a payment imported as private credit data: %+v %v", r, err)
	}
	if err := net.WaitInSync(withTimeout(t, 20*time.Second), nil); err != nil {
		t.Fatal(err)
	}

	// Bank A's replica serves the tax bureau's payment, verified and opened.
	got, err := bankA.Payment(ctx, pay.OrderID)
	if err != nil || got.Conflict || len(got.Records) != 1 {
		t.Fatalf("payment from a replica: %+v %v", got, err)
	}
	if p := got.Records[0]; !p.Verified || p.AmountMinor != pay.AmountMinor || p.Period != pay.Period {
		t.Fatalf("payment from a replica: %+v", p)
	}
	var apiErr *api.Error
	if _, err := bankA.Payment(ctx, "NO-SUCH-ORDER-123"); !errorAs(err, &apiErr) || apiErr.Status != 404 {
		t.Fatalf("unknown order: %v", err)
	}

	subject := *events[0].Subject
	rep, err := bankA.Report(ctx, api.ReportRequest{Subject: subject, Purpose: "loan_application", ConsentRef: "CONSENT-1"})
	if err != nil {
		t.Fatal(err)
	}
	// Only the banks have the credit role: the tax bureau is not asked.
	s := rep.Summary
	if s.Asked != 2 || s.Answered != 2 || s.ActiveAccounts != 1 || s.ActiveLenders != 1 || s.WorstDaysOverdue == 0 {
		t.Fatalf("report summary: %+v", s)
	}
	for _, m := range rep.Members {
		if m.Outcome != "answered" {
			t.Fatalf("member %s: %s %s", m.Name, m.Outcome, m.Error)
		}
	}
	if _, err := bankA.Report(ctx, api.ReportRequest{Subject: subject, Purpose: "curiosity", ConsentRef: "C"}); !errorAs(err, &apiErr) || apiErr.Status != 400 {
		t.Fatalf("unknown purpose: %v", err)
	}
	if _, err := bankA.Report(ctx, api.ReportRequest{Subject: records.Subject{ID: "110105194912310021"}, Purpose: "loan_application", ConsentRef: "C"}); !errorAs(err, &apiErr) || apiErr.Status != 400 {
		t.Fatalf("bad subject ID: %v", err)
	}

	// A bank (credit and query roles) may not write payments: refused per
	// record, saying why.
	if r, err := bankA.Submit(ctx, []records.Record{records.SamplePayment("bank-a", 1, 10)}); err != nil || r.Refused != 1 ||
		!strings.Contains(r.Results[0].Error, "payments are written only by members with the payments role; this member has credit,query") {
		t.Fatalf("a payment submitted to a bank: %+v %v", r, err)
	}

	// Every responder wrote a receipt; once replicated, every peer computes
	// the same statement and it balances: bank A pays bank B for its
	// answer, and nobody for its own.
	if err := net.WaitInSync(withTimeout(t, 20*time.Second), nil); err != nil {
		t.Fatal(err)
	}
	period := time.Now().UTC().Format("2006-01")
	var first *api.BillingView
	for _, c := range []*api.Client{tax, bankA, bankB} {
		b, err := c.Billing(ctx, period)
		if err != nil {
			t.Fatal(err)
		}
		if b.TotalPayable["CNY"] != 200 || !reflect.DeepEqual(b.TotalPayable, b.TotalReceivable) {
			t.Fatalf("statement totals: %+v", b)
		}
		if first == nil {
			first = b
		} else if !reflect.DeepEqual(first, b) {
			t.Fatalf("peers disagree on the statement:\n%+v\n%+v", first, b)
		}
	}
	r, err := http.Get("http://" + net.Node(2).APIAddr() + "/metrics") // bank B answered bank A
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.Contains(string(data), `credmesh_query_seconds_count{op="credit_query",status="ok"}`) {
		t.Fatal("metrics lack the query latency histogram")
	}
}

// Shadowing: a second payments member publishes a payment under an order
// ID another has published. Every replica's API answers both records, as
// a conflict (409), never only the one whose issuer sorts first.
func TestShadowedOrderIDIsAConflict(t *testing.T) {
	ctx := context.Background()
	roles := []config.Role{config.RolePayments, config.RoleQuery}
	n, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "shadow-test", Members: []devnet.Member{
		{Dir: "tax", Name: "Shenzhen Tax Bureau", Roles: roles},
		{Dir: "fund", Name: "Housing Fund Centre", Roles: roles},
	}})
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
	tax, fund := api.NewClient(n.Node(0).APIAddr(), ""), api.NewClient(n.Node(1).APIAddr(), "")
	pay := records.SamplePayment("tax", 3, 10)
	shadow := pay
	shadow.AmountMinor = 1
	if r, err := tax.Submit(ctx, []records.Record{pay}); err != nil || r.Accepted != 1 {
		t.Fatalf("submit: %+v %v", r, err)
	}
	if r, err := fund.Submit(ctx, []records.Record{shadow}); err != nil || r.Accepted != 1 {
		t.Fatalf("submit the shadow: %+v %v", r, err)
	}
	if err := n.WaitInSync(withTimeout(t, 20*time.Second), nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*api.Client{tax, fund} {
		got, err := c.Payment(ctx, pay.OrderID)
		var apiErr *api.Error
		if !errorAs(err, &apiErr) || apiErr.Status != 409 || apiErr.Code != "conflict" {
			t.Fatalf("a shadowed order ID: %v, want 409 conflict", err)
		}
		names := map[uint64]string{}
		for _, r := range got.Records {
			names[r.AmountMinor] = r.IssuerName
		}
		if !got.Conflict || len(got.Records) != 2 || names[pay.AmountMinor] != "Shenzhen Tax Bureau" || names[1] != "Housing Fund Centre" {
			t.Fatalf("a shadowed order ID: %+v", got)
		}
	}
}

// A member without the query role makes no credit reports: the API
// answers 403 before any member is asked.
func TestReportNeedsTheQueryRole(t *testing.T) {
	ctx := context.Background()
	n, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "roles-test", Members: []devnet.Member{
		{Dir: "tax", Name: "Tax", Roles: []config.Role{config.RolePayments}},
		{Dir: "bank", Name: "Bank", Roles: []config.Role{config.RoleCredit, config.RoleQuery}},
	}})
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
	tax, bank := api.NewClient(n.Node(0).APIAddr(), ""), api.NewClient(n.Node(1).APIAddr(), "")
	subject := records.Subject{Kind: "cn-rid", ID: "11010519491231002X"}
	_, err = tax.Report(ctx, api.ReportRequest{Subject: subject, Purpose: "loan_application", ConsentRef: "C-1"})
	var apiErr *api.Error
	if !errorAs(err, &apiErr) || apiErr.Status != 403 || !strings.Contains(apiErr.Message, "query role; the membership in force gives this member payments") {
		t.Fatalf("a report by a payments-only member: %v", err)
	}
	rep, err := bank.Report(ctx, api.ReportRequest{Subject: subject, Purpose: "loan_application", ConsentRef: "C-1"})
	if err != nil || rep.Summary.Asked != 1 || rep.Summary.Answered != 1 {
		t.Fatalf("the bank's report: %+v %v", rep, err)
	}
}
