package main

import (
	"context"
	"fmt"
	"io"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/records"
)

// demoRightsSummary is the subject's rights part of `credmesh demo`: a
// correction, a dispute, and a report that shows the dispute.
type demoRightsSummary struct {
	Correction *api.CorrectionResult `json:"correction"`
	Corrected  *api.PaymentView      `json:"corrected_payment"`
	Dispute    *api.DisputeView      `json:"dispute"`
	Report     *api.ReportView       `json:"report_with_dispute"`
}

// demoRights has the tax bureau correct payment 42 and the subject of
// loan 0 dispute the second lender's overdue event at the tax bureau;
// once every peer holds both, the first lender's report shows the
// dispute with the subject's statement.
func demoRights(ctx, wctx context.Context, net *devnet.Net) (*demoRightsSummary, error) {
	tax := api.NewClient(net.Node(0).APIAddr(), "")
	fixed := records.SamplePayment(net.Opts.Members[0].Dir, 42, 500)
	fixed.AmountMinor += 100
	c, err := tax.Correct(ctx, api.CorrectionRequest{CorrectionID: "DEMO-FIX-1", Target: api.CorrectionTarget{Type: records.TypePayment, OrderID: fixed.OrderID},
		Action: api.ActionReplace, Replacement: &fixed, Reason: "amount mistyped at the counter"})
	if err != nil {
		return nil, fmt.Errorf("correction: %w", err)
	}
	subject := records.Subject{Kind: "cn-rid", ID: records.SampleResidentID(0)}
	lender := net.Opts.Members[2]
	d, err := tax.Dispute(ctx, api.DisputeRequest{DisputeID: "DEMO-DISPUTE-1", Subject: subject,
		Target:    api.DisputeTarget{Issuer: net.Node(2).PeerID().String(), Type: records.TypeCreditEvent, EventID: lender.Dir + "-LN-000000-overdue"},
		Statement: "I repaid this instalment on time; the bank's transfer record shows it"})
	if err != nil {
		return nil, fmt.Errorf("dispute: %w", err)
	}
	if err := net.WaitInSync(wctx, nil); err != nil {
		return nil, err
	}
	bank := api.NewClient(net.Node(1).APIAddr(), "")
	look, err := bank.Payment(ctx, fixed.OrderID)
	if err != nil || len(look.Records) == 0 {
		return nil, fmt.Errorf("corrected payment lookup: %v", err)
	}
	rep, err := bank.Report(ctx, api.ReportRequest{Subject: subject, Purpose: "loan_application", ConsentRef: "DEMO-CONSENT-0002"})
	if err != nil {
		return nil, fmt.Errorf("credit report: %w", err)
	}
	return &demoRightsSummary{Correction: c, Corrected: &look.Records[0], Dispute: d, Report: rep}, nil
}

func printDemoRights(w io.Writer, r *demoRightsSummary) {
	if r == nil {
		return
	}
	p := r.Corrected
	fmt.Fprintf(w, "\ncorrection %s by %s: payment %s now %s %s, the original kept with its proof\n", r.Correction.CorrectionID, p.IssuerName, p.OrderID, minor(p.AmountMinor), p.Currency)
	for _, h := range p.History {
		fmt.Fprintf(w, "  %s at block %d: %s (verified)\n", h.Action, h.Height, h.Reason)
	}
	fmt.Fprintf(w, "\ndispute %s entered at %s of a record of %s, answer due %s\n", r.Dispute.DisputeID, r.Dispute.DisputerName, r.Dispute.IssuerName, r.Dispute.Deadline.Format("2006-01-02"))
	fmt.Fprintf(w, "a later report shows it:")
	printReportDisputes(w, r.Report.Disputes)
}
