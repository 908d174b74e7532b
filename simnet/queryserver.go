package simnet

import (
	"context"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/credmesh/credmesh/records"
)

// queryServer is how simnet asks a peer for credit reports: through
// node.Report when node.Run runs the peer, or, when simnet runs the
// peer's loop itself (noapi.go), through a queryproto server and reporter
// of its own, whose receipts go to simnet's builder (the node's own
// query server would hand them to the node's builder, which no longer
// runs).
type queryServer struct {
	srv *queryproto.Server // ours, in the fallback only
	// report asks one credit report; why says, for a report some member
	// did not answer, the first member's failure.
	report func(ctx context.Context, subject subject, n int) (answered, asked int, elapsed time.Duration, why string, err error)
}

// subject is a person reports are about: the raw ID (what node.Report
// takes) and its reference (what queryproto takes).
type subject struct {
	raw records.Subject
	ref privacy.Ref
}

func startQueryServer(p *Peer, nd *node.Node, o node.Options) (*queryServer, error) {
	if p.own == nil {
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
		}}, nil
	}
	h := nd.Network().Host()
	g := o.Genesis
	h.RemoveStreamHandler(p2p.QueryProtocol(g.NetworkID())) // the node's, bound to its idle builder
	srv, err := queryproto.NewServer(queryproto.Config{
		Host: h, NetworkID: g.NetworkID(), Members: g.Members(), Store: nd.Store(), Key: o.Key,
		Receipts: p.own.b, FeeMinor: g.Params().QueryFeeMinor, FeeCurrency: g.Params().FeeCurrency,
		Now: o.Now, Logger: o.Logger,
	})
	if err != nil {
		return nil, err
	}
	rep, err := queryproto.NewReporter(queryproto.ReporterConfig{
		Host: h, NetworkID: g.NetworkID(), Members: g.Members(), Key: o.Key, Store: nd.Store(), Local: srv, Now: o.Now,
	})
	if err != nil {
		srv.Close()
		return nil, err
	}
	return &queryServer{srv: srv, report: func(ctx context.Context, s subject, n int) (int, int, time.Duration, string, error) {
		r, err := rep.Report(ctx, reportRequest(p.Index, n, s.ref))
		if err != nil {
			return 0, 0, 0, "", err
		}
		answered, why := 0, ""
		for _, m := range r.Results {
			if m.Outcome == queryproto.OutcomeAnswered {
				answered++
			} else if why == "" {
				why = fmt.Sprintf("%s: %s: %v", m.Peer.ShortString(), m.Outcome, m.Err)
			}
		}
		return answered, len(r.Results), r.Elapsed, why, nil
	}}, nil
}

func (q *queryServer) close() {
	if q.srv != nil {
		q.srv.Close()
	}
}
