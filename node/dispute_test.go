package node_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/records"
)

// movingClock is every peer's clock in a test: the machine's, moved
// forward by the test.
type movingClock struct{ ahead atomic.Int64 }

func (c *movingClock) Now() time.Time              { return time.Now().Add(time.Duration(c.ahead.Load())) }
func (c *movingClock) forward(d time.Duration)     { c.ahead.Add(int64(d)) }
func (c *movingClock) tune(_ int, o *node.Options) { o.Now = c.Now }

// A subject disputes a bank's overdue event at two other members. The
// bank confirms one; past the deadline (the clock moved 21 days) the
// other is overdue in the bank's list, its metrics and every report,
// until the bank withdraws the event, which answers it.
func TestDisputeAnsweredOrOverdue(t *testing.T) {
	ctx := context.Background()
	clock := new(movingClock)
	net, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "dispute-test", Members: devnet.DefaultMembers[:3], Tune: clock.tune})
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
	tax, bankA, bankB := api.NewClient(net.Node(0).APIAddr(), ""), api.NewClient(net.Node(1).APIAddr(), ""), api.NewClient(net.Node(2).APIAddr(), "")
	bankBID := net.Node(2).PeerID().String()
	events := records.SampleCreditEvents("bank-b", 0, 10)
	if r, err := bankB.ImportCredit(ctx, events, true); err != nil || r.Accepted != 2 {
		t.Fatalf("import: %+v %v", r, err)
	}
	if err := net.WaitInSync(withTimeout(t, 20*time.Second), nil); err != nil {
		t.Fatal(err)
	}
	subject := *events[0].Subject
	target := api.DisputeTarget{Issuer: bankBID, Type: "credit_event", EventID: events[1].EventID}

	var apiErr *api.Error
	for name, tc := range map[string]struct {
		c      *api.Client
		req    api.DisputeRequest
		status int
		says   string
	}{
		"another person's record": {tax, api.DisputeRequest{Subject: records.Subject{Kind: subject.Kind, ID: records.SampleResidentID(5)}, Target: target, Statement: "x"}, 404, "about this subject"},
		"a record not held":       {tax, api.DisputeRequest{Subject: subject, Target: api.DisputeTarget{Issuer: bankBID, Type: "credit_event", EventID: "NO-SUCH"}, Statement: "x"}, 404, "no such entry"},
		"a private record":        {tax, api.DisputeRequest{Subject: subject, Target: api.DisputeTarget{Issuer: bankBID, Type: "credit_event", EventID: events[0].EventID}, Statement: "x"}, 404, "no such entry"},
		"the member's own record": {bankB, api.DisputeRequest{Subject: subject, Target: target, Statement: "x"}, 400, "correct it"},
		"no statement":            {tax, api.DisputeRequest{Subject: subject, Target: target}, 400, "statement"},
		"a bad issuer":            {tax, api.DisputeRequest{Subject: subject, Target: api.DisputeTarget{Issuer: "bank-b", Type: "credit_event", EventID: "E"}, Statement: "x"}, 400, "peer ID"},
	} {
		if _, err := tc.c.Dispute(ctx, tc.req); !errors.As(err, &apiErr) || apiErr.Status != tc.status || !strings.Contains(apiErr.Message, tc.says) {
			t.Errorf("%s: %v, want %d saying %q", name, err, tc.status, tc.says)
		}
	}

	d1, err := tax.Dispute(ctx, api.DisputeRequest{DisputeID: "D-1", Subject: subject, Target: target, Statement: "I repaid on time"})
	if err != nil || d1.State != "open" || d1.Deadline.Sub(d1.FiledAt) != 20*24*time.Hour {
		t.Fatalf("dispute at the tax bureau: %+v %v", d1, err)
	}
	if _, err := bankA.Dispute(ctx, api.DisputeRequest{DisputeID: "D-2", Subject: subject, Target: target, Statement: "the amount is wrong"}); err != nil {
		t.Fatal(err)
	}
	if err := net.WaitInSync(withTimeout(t, 20*time.Second), nil); err != nil {
		t.Fatal(err)
	}
	rep, err := bankA.Report(ctx, api.ReportRequest{Subject: subject, Purpose: "loan_application", ConsentRef: "CONSENT-1"})
	if err != nil || len(rep.Disputes) != 2 || rep.Disputes[0].State != "open" || rep.Disputes[1].State != "open" {
		t.Fatalf("report with two open disputes: %+v %v", rep, err)
	}
	if s := rep.Disputes[0].Statement + rep.Disputes[1].Statement; !strings.Contains(s, "I repaid on time") || !strings.Contains(s, "the amount is wrong") {
		t.Fatalf("the report lacks the subject's statements: %+v", rep.Disputes)
	}

	taxID := net.Node(0).PeerID().String()
	if _, err := bankA.Confirm(ctx, api.ConfirmRequest{Disputer: taxID, DisputeID: "D-1", Reason: "x"}); !errors.As(err, &apiErr) || apiErr.Status != 403 {
		t.Fatalf("a member confirming a dispute of another's record: %v", err)
	}
	if _, err := bankB.Confirm(ctx, api.ConfirmRequest{Disputer: taxID, DisputeID: "D-1", Reason: "the arrears are on file"}); err != nil {
		t.Fatal(err)
	}
	if _, err := bankB.Confirm(ctx, api.ConfirmRequest{Disputer: taxID, DisputeID: "D-1", Reason: "again"}); !errors.As(err, &apiErr) || apiErr.Status != 400 {
		t.Fatalf("a second answer: %v", err)
	}
	if err := net.WaitInSync(withTimeout(t, 20*time.Second), nil); err != nil {
		t.Fatal(err)
	}

	clock.forward(21 * 24 * time.Hour)
	l, err := bankB.Disputes(ctx, "")
	if err != nil || len(l.Disputes) != 2 || l.Overdue != 1 {
		t.Fatalf("the bank's disputes past the deadline: %+v %v", l, err)
	}
	states := map[string]string{}
	for _, d := range l.Disputes {
		states[d.DisputeID] = d.State
	}
	if states["D-1"] != "confirmed" || states["D-2"] != "overdue" {
		t.Fatalf("states: %v", states)
	}
	r, err := http.Get("http://" + net.Node(2).APIAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.Contains(string(metrics), `credmesh_disputes_overdue{issuer="`+bankBID+`",name="`+devnet.DefaultMembers[2].Name+`"} 1`) {
		t.Fatalf("the bank's metrics do not flag its overdue dispute")
	}
	rep, err = bankA.Report(ctx, api.ReportRequest{Subject: subject, Purpose: "loan_application", ConsentRef: "CONSENT-2"})
	if err != nil {
		t.Fatal(err)
	}
	overdue := 0
	for _, d := range rep.Disputes {
		if d.State == "overdue" {
			overdue++
		}
	}
	if overdue != 1 {
		t.Fatalf("the report does not flag the overdue dispute: %+v", rep.Disputes)
	}

	// A late answer: the bank withdraws the event.
	if _, err := bankB.Correct(ctx, api.CorrectionRequest{Target: api.CorrectionTarget{Type: "credit_event", EventID: events[1].EventID}, Action: "withdraw", Reason: "paid on time after all"}); err != nil {
		t.Fatal(err)
	}
	if err := net.WaitInSync(withTimeout(t, 20*time.Second), nil); err != nil {
		t.Fatal(err)
	}
	l, err = tax.Disputes(ctx, bankBID)
	if err != nil || l.Overdue != 0 {
		t.Fatalf("after the correction, from the tax bureau's replica: %+v %v", l, err)
	}
	for _, d := range l.Disputes {
		if d.DisputeID == "D-2" && (d.State != "corrected" || d.Answer != "paid on time after all") {
			t.Fatalf("D-2 after the correction: %+v", d)
		}
	}
}
