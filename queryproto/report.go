package queryproto

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
)

// DefaultReportTimeout bounds a report whose context has no deadline.
const DefaultReportTimeout = 5 * time.Second

// ReporterConfig configures a Reporter.
type ReporterConfig struct {
	// Host is the asking member's libp2p host.
	Host      host.Host
	NetworkID string
	// Members are the genesis members with their roles: every member with
	// chain.RoleCredit is asked (ourselves included, if we have it), and
	// we may ask only if we have chain.RoleQuery.
	Members chain.Members
	// Key is the asking member's key; it signs the queries.
	Key ed25519.PrivateKey
	// Store is the member's replica; the summary reads query receipts
	// from it.
	Store *store.Store
	// Local answers our own query without a stream (a host cannot open a
	// stream to itself). Without it, our own result is OutcomeUnreachable.
	Local *Server
	// Timeout bounds a report whose context has no deadline (default
	// DefaultReportTimeout, 5 s).
	Timeout time.Duration
	// Now reads the clock (default time.Now): the query's time and the
	// summary's windows.
	Now func() time.Time
	// InstitutionTypes are the members' types from the genesis ("bank",
	// "non_bank"; missing: not given), which split the summary's
	// multiple-borrowing windows by querier.
	InstitutionTypes map[chain.IssuerID]string
	// Epoch, if set, gives the members in force at a time (membership
	// decisions, epoch.go); Members are then only the genesis's.
	Epoch func(time.Time) (chain.Members, chain.Params)
}

// Reporter fans a member's credit query out to every member with the
// credit role and combines the verified answers into a report.
type Reporter struct {
	cfg    ReporterConfig
	self   chain.IssuerID
	client *Client
	peers  map[chain.IssuerID]peer.ID
}

// NewReporter checks cfg and returns a reporter.
func NewReporter(cfg ReporterConfig) (*Reporter, error) {
	switch {
	case cfg.Host == nil:
		return nil, fmt.Errorf("%w: Host is required", ErrConfig)
	case len(cfg.Key) != ed25519.PrivateKeySize:
		return nil, fmt.Errorf("%w: an Ed25519 Key is required", ErrConfig)
	case cfg.Store == nil:
		return nil, fmt.Errorf("%w: Store is required", ErrConfig)
	case len(cfg.Members) == 0:
		return nil, fmt.Errorf("%w: Members are required", ErrConfig)
	}
	if err := chain.CheckNetworkID(cfg.NetworkID); err != nil {
		return nil, fmt.Errorf("%w: NetworkID: %v", ErrConfig, err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultReportTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &Reporter{
		cfg:    cfg,
		self:   chain.IssuerOf(cfg.Key.Public().(ed25519.PublicKey)),
		client: NewClient(cfg.Host, cfg.NetworkID),
		peers:  make(map[chain.IssuerID]peer.ID, len(cfg.Members)),
	}
	for iss, roles := range cfg.Members {
		if roles&chain.RoleCredit == 0 {
			continue // answers no credit queries
		}
		id, err := peerid.FromIssuer(iss)
		if err != nil {
			return nil, fmt.Errorf("%w: member %s: %v", ErrConfig, iss.Short(), err)
		}
		r.peers[iss] = id
	}
	return r, nil
}

// ReportRequest is what a credit officer asks about.
type ReportRequest struct {
	QueryID    string // unique per querier
	Subject    privacy.Ref
	Purpose    chainpb.QueryPurpose
	ConsentRef string
	// Only, when not nil, is a routed report (docs/SCALE.md section 5):
	// only the credit members it lists are asked, e.g. those whose
	// subject filter (chain/subjectfilter) matches Subject. Nil asks
	// every credit member, the default.
	Only []chain.IssuerID
}

// Outcome is how one member's part of a report ended.
type Outcome int

// Outcomes of a member's part of a report.
const (
	OutcomeAnswered    Outcome = iota + 1 // a signed answer that verified
	OutcomeTimeout                        // no answer by the deadline
	OutcomeUnreachable                    // no stream could be opened, or it broke
	OutcomeRefused                        // the member answered a status other than OK
	OutcomeInvalid                        // the answer was malformed or failed verification
)

func (o Outcome) String() string {
	switch o {
	case OutcomeAnswered:
		return "answered"
	case OutcomeTimeout:
		return "timeout"
	case OutcomeUnreachable:
		return "unreachable"
	case OutcomeRefused:
		return "refused"
	case OutcomeInvalid:
		return "invalid answer"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// MemberResult is one member's part of a report.
type MemberResult struct {
	Member  chain.IssuerID
	Peer    peer.ID
	Outcome Outcome
	// Status is the code the member refused with (OutcomeRefused).
	Status querypb.Status
	// Err says what went wrong, for every outcome but OutcomeAnswered.
	Err error
	// Answer is the verified signed answer (OutcomeAnswered).
	Answer  *SignedAnswer
	Latency time.Duration
}

// Available reports whether the member answered at all (a refusal is an
// answer).
func (m *MemberResult) Available() bool {
	return m.Outcome == OutcomeAnswered || m.Outcome == OutcomeRefused || m.Outcome == OutcomeInvalid
}

// Report is the result of a credit report.
type Report struct {
	Query   *SignedQuery
	Results []MemberResult // one per member asked (the credit members), sorted by member key
	Summary Summary
	Elapsed time.Duration
}

// Report signs the query, sends it to every member with the credit role in
// parallel (ourselves through Local) under one deadline — ctx's, or
// Timeout — verifies every answer, and summarizes. It returns an error only
// when the query cannot be made: we lack the query role (ErrUnauthorized,
// before anyone is asked), no member has the credit role
// (ErrUnavailable), or the request is invalid (ErrBadRequest). Every
// member's failure is in its MemberResult.
func (r *Reporter) Report(ctx context.Context, req ReportRequest) (*Report, error) {
	now := r.cfg.Now()
	inForce, peers := r.membersAt(now)
	if !inForce.Has(r.self, chain.RoleQuery) {
		return nil, fmt.Errorf("%w: this member has no query role in the genesis or the decisions in force (it has %s), so it makes no credit queries", ErrUnauthorized, inForce[r.self])
	}
	if len(peers) == 0 {
		return nil, fmt.Errorf("%w: no member has the credit role, so nobody answers credit queries", ErrUnavailable)
	}
	start := time.Now()
	q, err := SignQuery(CreditQuery{
		NetworkID: r.cfg.NetworkID, QueryID: req.QueryID, Querier: r.self, Subject: req.Subject,
		Purpose: req.Purpose, ConsentRef: req.ConsentRef, Time: now,
	}, r.cfg.Key)
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.cfg.Timeout)
		defer cancel()
	}
	members := make([]chain.IssuerID, 0, len(peers))
	for iss := range peers {
		if req.Only == nil || slices.Contains(req.Only, iss) {
			members = append(members, iss)
		}
	}
	slices.SortFunc(members, func(a, b chain.IssuerID) int { return bytes.Compare(a[:], b[:]) })
	results := make([]MemberResult, len(members))
	var wg sync.WaitGroup
	for i, iss := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = r.ask(ctx, iss, peers[iss], inForce, q)
		}()
	}
	wg.Wait()
	rep := &Report{Query: q, Results: results}
	var answers []*SignedAnswer
	for _, res := range results {
		if res.Outcome == OutcomeAnswered {
			answers = append(answers, res.Answer)
		}
	}
	rep.Summary, err = r.summarize(q, answers, len(members), now)
	if err != nil {
		return nil, err
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// ask gets and verifies one member's answer.
func (r *Reporter) ask(ctx context.Context, iss chain.IssuerID, p peer.ID, members chain.Members, q *SignedQuery) MemberResult {
	res := MemberResult{Member: iss, Peer: p}
	start := time.Now()
	var (
		a   *SignedAnswer
		err error
	)
	if iss == r.self {
		if r.cfg.Local == nil {
			err = fmt.Errorf("%w: no local server to answer our own query", ErrUnreachable)
		} else {
			a, err = r.cfg.Local.Answer(ctx, iss, q)
			if err != nil && ctx.Err() == nil {
				err = &StatusError{Status: statusOf(err), Message: err.Error()}
			}
		}
	} else {
		a, err = r.client.CreditQuery(ctx, p, q)
	}
	if err == nil {
		err = a.Verify(q, iss, members)
	}
	res.Latency = time.Since(start)
	if err == nil {
		res.Outcome, res.Answer = OutcomeAnswered, a
		return res
	}
	res.Err = err
	var se *StatusError
	switch {
	case errors.As(err, &se):
		res.Outcome, res.Status = OutcomeRefused, se.Status
	case errors.Is(err, ErrTimeout), errors.Is(ctx.Err(), context.DeadlineExceeded):
		res.Outcome = OutcomeTimeout
	case errors.Is(err, ErrUnreachable):
		res.Outcome = OutcomeUnreachable
	case errors.Is(err, ErrMalformed), errors.Is(err, ErrVerify), errors.Is(err, ErrTooLarge):
		res.Outcome = OutcomeInvalid
	default:
		res.Outcome = OutcomeUnreachable
	}
	return res
}
