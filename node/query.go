package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/billing"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/credmesh/credmesh/records"
)

// The builder is the query server's receipt sink: it refuses with the
// chain errors queryproto.ReceiptSink names.
var _ queryproto.ReceiptSink = (*builder.Builder)(nil)

// startQuery serves the query protocol (payments to anyone, credit queries
// to members, receipts through our builder) and prepares the reporter.
func (n *Node) startQuery() error {
	// Receipts carry the genesis fee exactly (chain.CheckReceipt): on a
	// free network, 0 and no currency unless the genesis names one.
	q := n.opts.Config.Query
	var err error
	if n.source, err = n.openCreditSource(); err != nil {
		return err
	}
	n.query, err = queryproto.NewServer(queryproto.Config{
		Host: n.net.Host(), NetworkID: n.params.NetworkID, Members: n.opts.Genesis.Members(),
		Store: n.store, Source: n.source, Key: n.opts.Key, Receipts: n.builder, FeeMinor: n.params.QueryFeeMinor, FeeCurrency: n.params.FeeCurrency,
		Decisions:    n.decisionProofs,   // member.go
		Epoch:        n.epochAt,          // membership.go
		Evidence:     n.net.EvidenceOf,   // what we hold, loaded from the store at start, gossiped and exchanged in status
		Cosignatures: n.net.Cosignatures, // witnesses' statements we verified (p2p/witness_*.go)
		PeerRate:     float64(q.PeerRate), PeerBurst: q.PeerBurst,
		MembersRate: float64(q.MembersRate), MembersBurst: q.MembersBurst,
		ClientsRate: float64(q.ClientsRate), ClientsBurst: q.ClientsBurst,
		Timeout: q.ServerTimeout.D(),
		Observe: n.queryLatency.observe, Now: n.opts.Now, Logger: n.log,
	})
	if err != nil {
		return err
	}
	n.reports, err = queryproto.NewReporter(queryproto.ReporterConfig{
		Host: n.net.Host(), NetworkID: n.params.NetworkID, Members: n.opts.Genesis.Members(),
		Key: n.opts.Key, Store: n.store, Local: n.query, Now: n.opts.Now, InstitutionTypes: n.institutionTypes(), Epoch: n.epochAt,
	})
	return err
}

// Purposes maps the names the API and CLI accept to query purposes.
var Purposes = map[string]chainpb.QueryPurpose{
	"loan_application":        chainpb.QueryPurpose_QUERY_PURPOSE_LOAN_APPLICATION,
	"post_loan_review":        chainpb.QueryPurpose_QUERY_PURPOSE_POST_LOAN_REVIEW,
	"guarantee_review":        chainpb.QueryPurpose_QUERY_PURPOSE_GUARANTEE_REVIEW,
	"self_request":            chainpb.QueryPurpose_QUERY_PURPOSE_SELF_REQUEST,
	"credit_card_application": chainpb.QueryPurpose_QUERY_PURPOSE_CREDIT_CARD_APPLICATION,
	"employment_screening":    chainpb.QueryPurpose_QUERY_PURPOSE_EMPLOYMENT_SCREENING,
}

// PurposeNames lists the accepted purposes, sorted.
func PurposeNames() []string {
	var out []string
	for k := range Purposes {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Report asks every member with the credit role about a subject and
// combines the answers; a member without the query role is refused
// (api.ErrForbidden) before anyone is asked. The raw ID is turned into the
// subject reference here; it never leaves.
func (n *Node) Report(ctx context.Context, req api.ReportRequest) (*api.ReportView, error) {
	ref, err := records.SubjectRef(req.Subject, n.opts.Secret)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	purpose, ok := ParsePurpose(req.Purpose)
	if !ok {
		return nil, fmt.Errorf("%w: purpose %q is not one of %s", api.ErrBadRequest, req.Purpose, strings.Join(PurposeNames(), ", "))
	}
	if req.ConsentRef == "" {
		return nil, fmt.Errorf("%w: consent_ref is required: the reference of the subject's consent", api.ErrBadRequest)
	}
	id := make([]byte, 12)
	rand.Read(id)
	r, err := n.reports.Report(ctx, queryproto.ReportRequest{
		QueryID: "Q-" + hex.EncodeToString(id), Subject: privacy.Ref(ref), Purpose: purpose, ConsentRef: req.ConsentRef,
	})
	switch {
	case errors.Is(err, queryproto.ErrUnauthorized): // we lack the query role
		return nil, fmt.Errorf("%w: credit reports are for members with the query role; the membership in force gives this member %s", api.ErrForbidden, n.view.Members(n.opts.Now())[n.self])
	case errors.Is(err, queryproto.ErrBadRequest):
		return nil, fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	case errors.Is(err, queryproto.ErrUnavailable): // no member answers credit queries
		return nil, fmt.Errorf("%w: %v", api.ErrBusy, err)
	case err != nil:
		return nil, err
	}
	v := n.reportView(r)
	if v.Disputes, err = n.disputesAbout(ref); err != nil {
		return nil, err
	}
	return v, nil
}

func (n *Node) reportView(r *queryproto.Report) *api.ReportView {
	s := r.Summary
	v := &api.ReportView{
		QueryID: r.Query.QueryID, SubjectRef: hex.EncodeToString(r.Query.Subject[:]), Purpose: PurposeName(r.Query.Purpose),
		ElapsedMS: r.Elapsed.Milliseconds(), Members: []api.ReportMember{},
		Summary: api.ReportSummary{
			Asked: s.Asked, Answered: s.Answered, Truncated: s.Truncated, ActiveAccounts: s.ActiveAccounts,
			Outstanding: s.Outstanding, WorstDaysOverdue: s.WorstDaysOverdue, ActiveLenders: s.ActiveLenders,
			LendingQueriers30d: s.LendingQueriers30d, LendingQueriers90d: s.LendingQueriers90d,
		},
	}
	v.Summary.BorrowingWindows, v.Accounts = n.reportHistory(s) // report_history.go
	for _, m := range r.Results {
		mv := api.ReportMember{Member: peerString(m.Member), Name: n.nameOf(m.Member), Outcome: reportOutcome(m), LatencyMS: m.Latency.Milliseconds(),
			Forked: n.net.EvidenceOf(m.Member) != nil}
		if m.Err != nil {
			mv.Error = m.Err.Error()
		}
		if a := m.Answer; a != nil {
			mv.Records = len(a.Records)
			mv.PrivateRecords = len(a.Private)
			for _, p := range a.Records {
				if !n.expired(p.Entry) {
					mv.Events = append(mv.Events, describeEntry(p.Entry))
				}
			}
			for _, p := range a.Private {
				if !n.expired(p) {
					mv.Events = append(mv.Events, describeEntry(p))
				}
			}
		}
		v.Members = append(v.Members, mv)
	}
	return v
}

// Billing computes the period's statement from the receipts we hold.
func (n *Node) Billing(period string) (*api.BillingView, error) {
	var members []chain.IssuerID
	for iss := range n.names {
		members = append(members, iss)
	}
	slices.SortFunc(members, func(a, b chain.IssuerID) int { return strings.Compare(n.nameOf(a), n.nameOf(b)) })
	st, err := billing.Compute(n.store, members, period)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	v := &api.BillingView{Period: period, Lines: []api.BillingLine{}}
	for _, l := range st.Lines {
		v.Lines = append(v.Lines, api.BillingLine{
			Member: peerString(l.Member), Name: n.nameOf(l.Member), QueriesMade: l.QueriesMade, QueriesServed: l.QueriesServed,
			Payable: l.Payable, Receivable: l.Receivable, Net: l.Net,
		})
	}
	v.TotalPayable, v.TotalReceivable = st.Totals()
	return v, nil
}

// Payment looks an order ID up in our own replica, verifies every proof
// and opens every record: what a light client does, done locally. Each
// issuer's chain holds an order ID at most once; records of two or more
// issuers are a conflict, and all of them are answered, none preferred.
func (n *Node) Payment(orderID string) (*api.PaymentLookup, error) {
	if err := privacy.CheckOrderID(orderID); err != nil {
		return nil, fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	lookup := privacy.Lookup(n.params.NetworkID, orderID)
	locs, err := n.store.LookupPayment(lookup[:])
	if err != nil {
		return nil, err
	}
	if len(locs) == 0 {
		return nil, fmt.Errorf("%w: no payment with this order ID in this peer's replica", api.ErrNotFound)
	}
	slices.SortFunc(locs, store.CompareLocations)
	out := &api.PaymentLookup{OrderID: orderID, Records: make([]api.PaymentView, 0, len(locs)), Forks: []api.ForkStatus{}}
	var acks map[chain.IssuerID]store.EvidenceAck
	for _, loc := range locs {
		p, err := n.store.Proof(loc)
		if err != nil {
			return nil, err
		}
		if err := p.Verify(n.view.Members(p.Header.Time), n.params.NetworkID); err != nil {
			return nil, fmt.Errorf("stored proof of %s's payment does not verify: %w", loc.Issuer.Short(), err)
		}
		e, err := chain.DecodeEntry(p.Entry, len(p.Entry))
		if err != nil || e.GetPayment() == nil {
			return nil, fmt.Errorf("stored entry of %s at %d/%d is not a payment", loc.Issuer.Short(), loc.Height, loc.Index)
		}
		rec, err := chain.OpenPayment(n.params.NetworkID, orderID, loc.Issuer, e.GetPayment())
		if err != nil {
			return nil, err
		}
		v := PaymentView(rec, peerString(loc.Issuer), n.nameOf(loc.Issuer), loc.Height, p.Header.Hash.String())
		if err := n.correctPayment(v, loc.Issuer, orderID, e); err != nil {
			return nil, err
		}
		// The evidence our query server serves light clients with this
		// record (Config.Evidence): the network's, loaded from the store.
		if ev := n.net.EvidenceOf(loc.Issuer); ev != nil {
			v.Forked = true
			if !slices.ContainsFunc(out.Forks, func(f api.ForkStatus) bool { return f.Issuer == v.Issuer }) {
				if acks == nil {
					if acks, err = n.store.EvidenceAcks(); err != nil {
						return nil, err
					}
				}
				out.Forks = append(out.Forks, n.forkStatus(loc.Issuer, ev, acks))
			}
		}
		out.Records = append(out.Records, *v)
	}
	out.Conflict = len(out.Records) > 1
	return out, nil
}
