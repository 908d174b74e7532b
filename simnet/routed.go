package simnet

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/chain/subjectfilter"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/credmesh/credmesh/records"
)

// RoutedRun compares credit reports that ask every credit member with
// routed ones (docs/SCALE.md section 5): Members − 1 lenders each open
// Loans loans, every subject borrowing from about two of them; each lender
// builds the subject filter of its books (chain/subjectfilter at rate
// FalsePositive), and the last member, which has no credit role, asks
// Reports reports twice, once of everyone and once of the members whose
// filter matches.
type RoutedRun struct {
	Members       int
	Loans         int
	Reports       int
	FalsePositive float64
	Latency       time.Duration // one-way between two peers
	Seed          uint64
}

// RoutedReport is what RunRouted measured.
type RoutedReport struct {
	Members  int `json:"members"`
	Subjects int `json:"subjects"`
	// FilterBytes summarizes the lenders' encoded filters.
	FilterBytes Summary     `json:"filter_bytes"`
	All         FanOutStats `json:"all"`
	Routed      FanOutStats `json:"routed"`
	// Mismatches counts reports whose routed summary (active accounts,
	// active lenders) differs from asking everyone: must be 0.
	Mismatches int `json:"mismatches"`
}

// FanOutStats are one kind of report's costs: members asked (one query
// message each) and answered (one query receipt on the answerer's chain
// each) per report, and latency.
type FanOutStats struct {
	Reports  int         `json:"reports"`
	Asked    float64     `json:"asked_per_report"`
	Receipts float64     `json:"receipts_per_report"`
	Latency  Percentiles `json:"latency"`
	Complete float64     `json:"complete"` // share where every member asked answered
}

// RunRouted runs r.
func RunRouted(ctx context.Context, r RoutedRun) (*RoutedReport, error) {
	if r.Members < 3 || r.Loans < 1 || r.Reports < 1 {
		return nil, fmt.Errorf("simnet: routed run of %d members, %d loans, %d reports", r.Members, r.Loans, r.Reports)
	}
	link := Link{Latency: r.Latency / 2, UplinkBps: 100e6, DownlinkBps: 100e6}
	specs := make([]PeerSpec, r.Members)
	for i := range specs {
		specs[i].Link = link
	}
	specs[r.Members-1].Roles = []config.Role{config.RolePayments, config.RoleQuery}
	fullBootstrap(specs)
	n, err := NewNet(NetConfig{Peers: specs, Params: config.GenesisParams{BlockInterval: 500 * time.Millisecond}})
	if err != nil {
		return nil, err
	}
	defer n.Close()
	if err := n.Start(); err != nil {
		return nil, err
	}
	if err := waitShardSetup(ctx, n); err != nil {
		return nil, err
	}
	lenders := r.Members - 1
	// Loan k goes to subject 13·k mod people: with people half the loans
	// (and prime to 13), each subject has two loans, of two lenders mostly.
	people := max(1, lenders*r.Loans/2)
	if people%13 == 0 {
		people++
	}
	filters := make([]*subjectfilter.Filter, lenders)
	var subjects []subject
	seen := map[privacy.Ref]bool{}
	rep := &RoutedReport{Members: r.Members}
	var sizes []float64
	for j := range lenders {
		p := n.Peers()[j]
		var recs []records.Record
		for k := j * r.Loans; k < (j+1)*r.Loans; k++ {
			recs = append(recs, records.SampleCreditEvents(p.Spec.Name, k, people)...)
		}
		dateBefore(recs, time.Now())
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		errs, err := p.Submit(sctx, recs)
		cancel()
		if err != nil {
			return nil, err
		}
		books := map[privacy.Ref]bool{}
		for i, rec := range recs {
			if errs[i] != nil {
				return nil, fmt.Errorf("simnet: lender %d: record %d refused: %w", j, i, errs[i])
			}
			ref, err := records.SubjectRef(*rec.Subject, n.Secret())
			if err != nil {
				return nil, err
			}
			sr := privacy.Ref(ref)
			books[sr] = true
			if !seen[sr] {
				seen[sr] = true
				subjects = append(subjects, subject{raw: *rec.Subject, ref: sr})
			}
		}
		filters[j] = subjectfilter.New(len(books), r.FalsePositive)
		for sr := range books {
			filters[j].Add(sr)
		}
		sizes = append(sizes, float64(filters[j].Size()))
	}
	rep.Subjects, rep.FilterBytes = len(subjects), summarize(sizes)

	rp := n.Peers()[r.Members-1]
	g := n.Genesis()
	reporter, err := queryproto.NewReporter(queryproto.ReporterConfig{
		Host: rp.Network().Host(), NetworkID: g.NetworkID(), Members: g.Members(), Key: rp.Key, Store: rp.Store(), Timeout: 2 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(r.Seed, 0x7e7))
	var all, routed fanOutAcc
	for i := range r.Reports {
		s := subjects[rng.IntN(len(subjects))]
		var only []chain.IssuerID
		for j, f := range filters {
			if f.Has(s.ref) {
				only = append(only, n.Peers()[j].Issuer)
			}
		}
		req := func(kind string, only []chain.IssuerID) queryproto.ReportRequest {
			return queryproto.ReportRequest{
				QueryID: fmt.Sprintf("Q-%s-%d", kind, i), Subject: s.ref, Purpose: chainpb.QueryPurpose_QUERY_PURPOSE_LOAN_APPLICATION,
				ConsentRef: consentRef(rp.Index, i), Only: only,
			}
		}
		a, err := reporter.Report(ctx, req("all", nil))
		if err != nil {
			return nil, err
		}
		if only == nil {
			only = []chain.IssuerID{} // nobody matches: ask nobody
		}
		b, err := reporter.Report(ctx, req("routed", only))
		if err != nil {
			return nil, err
		}
		all.add(a)
		routed.add(b)
		if a.Summary.ActiveAccounts != b.Summary.ActiveAccounts || a.Summary.ActiveLenders != b.Summary.ActiveLenders {
			rep.Mismatches++
		}
	}
	rep.All, rep.Routed = all.stats(), routed.stats()
	return rep, nil
}

type fanOutAcc struct {
	n, asked, answered, complete int
	lat                          []time.Duration
}

func (f *fanOutAcc) add(r *queryproto.Report) {
	f.n++
	f.asked += r.Summary.Asked
	f.answered += r.Summary.Answered
	if r.Summary.Answered == r.Summary.Asked {
		f.complete++
	}
	f.lat = append(f.lat, r.Elapsed)
}

func (f *fanOutAcc) stats() FanOutStats {
	if f.n == 0 {
		return FanOutStats{}
	}
	return FanOutStats{
		Reports: f.n, Asked: float64(f.asked) / float64(f.n), Receipts: float64(f.answered) / float64(f.n),
		Latency: percentiles(f.lat), Complete: float64(f.complete) / float64(f.n),
	}
}
