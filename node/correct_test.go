package node_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/records"
)

// Corrections through the API of real peers: the tax bureau replaces a
// payment, a bank withdraws an overdue event; every replica's lookup shows
// the record as it stands with its verified history, and reports leave
// the withdrawn event out. Nobody corrects another member's record.
func TestCorrectionsReachEveryReplica(t *testing.T) {
	ctx := context.Background()
	net := startNet(t, 3)
	tax, bankA, bankB := api.NewClient(net.Node(0).APIAddr(), ""), api.NewClient(net.Node(1).APIAddr(), ""), api.NewClient(net.Node(2).APIAddr(), "")

	pay := records.SamplePayment("tax", 7, 10)
	if r, err := tax.Submit(ctx, []records.Record{pay}); err != nil || r.Accepted != 1 {
		t.Fatalf("submit: %+v %v", r, err)
	}
	events := records.SampleCreditEvents("bank-b", 0, 10) // opened (private), overdue (published)
	if r, err := bankB.ImportCredit(ctx, events, true); err != nil || r.Accepted != 2 {
		t.Fatalf("import: %+v %v", r, err)
	}
	if err := net.WaitInSync(withTimeout(t, 20*time.Second), nil); err != nil {
		t.Fatal(err)
	}
	subject := *events[0].Subject
	rep, err := bankA.Report(ctx, api.ReportRequest{Subject: subject, Purpose: "loan_application", ConsentRef: "CONSENT-1"})
	if err != nil || rep.Summary.WorstDaysOverdue == 0 {
		t.Fatalf("report before the withdrawal: %+v %v", rep, err)
	}

	// Refusals lose nothing and say why.
	var apiErr *api.Error
	withdrawOverdue := api.CorrectionRequest{Target: api.CorrectionTarget{Type: "credit_event", EventID: events[1].EventID}, Action: "withdraw", Reason: "posted to the wrong person"}
	for name, tc := range map[string]struct {
		c      *api.Client
		req    api.CorrectionRequest
		status int
		says   string
	}{
		"another member's event": {bankA, withdrawOverdue, 404, "holds no sealed credit_event"},
		"a payment, by a bank":   {bankA, api.CorrectionRequest{Target: api.CorrectionTarget{Type: "payment", OrderID: pay.OrderID}, Action: "withdraw", Reason: "x"}, 403, "payments role"},
		"no reason":              {bankB, api.CorrectionRequest{Target: withdrawOverdue.Target, Action: "withdraw"}, 400, "reason"},
		"an unknown action":      {bankB, api.CorrectionRequest{Target: withdrawOverdue.Target, Action: "erase", Reason: "x"}, 400, "action"},
		"a private event":        {bankB, api.CorrectionRequest{Target: api.CorrectionTarget{Type: "credit_event", EventID: events[0].EventID}, Action: "withdraw", Reason: "x"}, 404, "no sealed"},
		"a replacement under another ID": {tax, api.CorrectionRequest{Target: api.CorrectionTarget{Type: "payment", OrderID: pay.OrderID}, Action: "replace",
			Replacement: ptr(records.SamplePayment("tax", 8, 10)), Reason: "x"}, 400, "keep the target's"},
	} {
		_, err := tc.c.Correct(ctx, tc.req)
		if !errors.As(err, &apiErr) || apiErr.Status != tc.status || !strings.Contains(apiErr.Message, tc.says) {
			t.Errorf("%s: %v, want %d saying %q", name, err, tc.status, tc.says)
		}
	}

	fixed := pay
	fixed.AmountMinor += 100
	if _, err := tax.Correct(ctx, api.CorrectionRequest{CorrectionID: "FIX-1", Target: api.CorrectionTarget{Type: "payment", OrderID: pay.OrderID},
		Action: "replace", Replacement: &fixed, Reason: "amount mistyped"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tax.Correct(ctx, api.CorrectionRequest{CorrectionID: "FIX-1", Target: api.CorrectionTarget{Type: "payment", OrderID: pay.OrderID},
		Action: "withdraw", Reason: "again"}); !errors.As(err, &apiErr) || apiErr.Status != 400 {
		t.Fatalf("a correction ID used twice: %v", err)
	}
	if _, err := bankB.Correct(ctx, withdrawOverdue); err != nil {
		t.Fatal(err)
	}
	if err := net.WaitInSync(withTimeout(t, 20*time.Second), nil); err != nil {
		t.Fatal(err)
	}
	got, err := bankA.Payment(ctx, pay.OrderID) // a replica's lookup
	if err != nil || len(got.Records) != 1 {
		t.Fatalf("lookup: %+v %v", got, err)
	}
	p := got.Records[0]
	if p.AmountMinor != fixed.AmountMinor || p.Withdrawn || len(p.History) != 1 || p.History[0].Reason != "amount mistyped" || !p.History[0].Verified {
		t.Fatalf("the corrected payment: %+v", p)
	}
	rep, err = bankA.Report(ctx, api.ReportRequest{Subject: subject, Purpose: "loan_application", ConsentRef: "CONSENT-2"})
	if err != nil || rep.Summary.WorstDaysOverdue != 0 {
		t.Fatalf("report after the withdrawal still counts the overdue event: %+v %v", rep.Summary, err)
	}
	var sawCorrection bool
	for _, m := range rep.Members {
		for _, e := range m.Events {
			sawCorrection = sawCorrection || e.Kind == "correction"
		}
	}
	if !sawCorrection {
		t.Fatalf("the report does not show the correction: %+v", rep.Members)
	}
}

func ptr[T any](v T) *T { return &v }
