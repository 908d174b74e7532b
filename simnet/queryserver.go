package simnet

import (
	"context"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/records"
)

// queryServer is how simnet asks a peer for credit reports: through
// node.Report, as an operator's API call would.
type queryServer struct {
	// report asks one credit report; why says, for a report some member
	// did not answer, the first member's failure.
	report func(ctx context.Context, subject subject, n int) (answered, asked int, elapsed time.Duration, why string, err error)
}

// subject is a person reports are about: the raw ID (what node.Report
// takes) and its reference.
type subject struct {
	raw records.Subject
	ref privacy.Ref
}

func newQueryServer(p *Peer, nd *node.Node) *queryServer {
	return &queryServer{report: func(ctx context.Context, s subject, n int) (int, int, time.Duration, string, error) {
		v, err := nd.Report(ctx, api.ReportRequest{Subject: s.raw, Purpose: "loan_application", ConsentRef: consentRef(p.Index, n)})
		if err != nil {
			return 0, 0, 0, "", err
		}
		why := ""
		for _, m := range v.Members {
			if m.Outcome != "answered" {
				why = m.Name + ": " + m.Outcome + ": " + m.Error
				break
			}
		}
		return v.Summary.Answered, v.Summary.Asked, time.Duration(v.ElapsedMS) * time.Millisecond, why, nil
	}}
}
