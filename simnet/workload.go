package simnet

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/records"
)

// A Workload drives the network until ctx ends or its own bound is
// reached. Run uses the four below; a caller may add its own.
type Workload interface {
	Name() string
	Run(ctx context.Context, env *Env)
}

// Env is what a workload works with.
type Env struct {
	Net      *Net
	Scenario *Scenario
	ledger   *ledger
	records  *budget
	lookups  *budget
	reports  *budget
	lights   []*LightClient

	minConnected int // members the least connected peer had at the start
}

// every calls f every interval until ctx ends or f returns false.
func every(ctx context.Context, interval time.Duration, f func() bool) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !f() {
				return
			}
		}
	}
}

// period returns how often to act to do rate things a second, batch at
// a time.
func period(rate float64, batch int) time.Duration {
	return time.Duration(float64(batch) / rate * float64(time.Second))
}

// issuing submits payment records from one issuer (records.SamplePayment)
// or credit events from one lender (records.SampleCreditEvents).
type issuing struct {
	peer    int
	lender  bool
	rate    float64
	batch   int
	counter int
	// phase delays the first batch, so issuers of one rate do not all
	// submit, and seal, at the same instant.
	phase time.Duration
}

func (w *issuing) Name() string {
	if w.lender {
		return fmt.Sprintf("lender %d", w.peer)
	}
	return fmt.Sprintf("issuer %d", w.peer)
}

func (w *issuing) Run(ctx context.Context, env *Env) {
	p := env.Net.peers[w.peer]
	people := env.Scenario.Load.People
	rc := records.Context{NetworkID: env.Net.genesis.NetworkID(), Issuer: p.Issuer, Secret: env.Net.secret}
	if !sleepUntil(ctx, time.Now().Add(w.phase)) {
		return
	}
	every(ctx, period(w.rate, w.batch), func() bool {
		if !p.Running() {
			return true
		}
		var recs []records.Record
		if w.lender {
			for range w.batch {
				recs = append(recs, records.SampleCreditEvents(p.Spec.Name, w.counter, people)...)
				w.counter++
			}
		} else {
			for range w.batch {
				recs = append(recs, records.SamplePayment(p.Spec.Name, w.counter, people))
				w.counter++
			}
		}
		dateBefore(recs, time.Now())
		if got := env.records.take(len(recs)); got < len(recs) {
			return false
		}
		// Not derived from ctx: a submission under way when the load
		// ends is judged, not abandoned half-way.
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs, err := p.Submit(sctx, recs)
		cancel()
		at := time.Now()
		refused := 0
		for i := range recs {
			if err != nil || errs[i] != nil {
				refused++
				continue
			}
			env.accept(w.peer, rc, &recs[i], at)
		}
		env.ledger.count(len(recs), refused)
		return true
	})
}

// accept notes an accepted record: its entry key, order ID and subject.
func (env *Env) accept(issuer int, rc records.Context, r *records.Record, at time.Time) {
	e, err := r.Entry(rc)
	if err != nil {
		return // accepted by the node, so this cannot happen
	}
	var subj *subject
	key := chain.EntryKey(e)
	if ce, ok := e.Body.(*chainpb.Entry_CreditEvent); ok {
		if len(ce.CreditEvent.SubjectRef) == privacy.RefSize && r.Subject != nil {
			subj = &subject{raw: *r.Subject, ref: privacy.Ref(ce.CreditEvent.SubjectRef)}
		}
		if !chain.IsNegative(ce.CreditEvent.Kind) {
			key = nil // kept private by the lender (node.Submit): on no chain
		}
	}
	env.ledger.add(issuer, key, r.OrderID, subj, at)
}

// lookups looks payments up from one light client.
type lookups struct {
	client *LightClient
	rate   float64
	rng    *rand.Rand
}

func (w *lookups) Name() string { return fmt.Sprintf("light client %d", w.client.Index) }

func (w *lookups) Run(ctx context.Context, env *Env) {
	age := env.Scenario.Load.LookupAge.D()
	every(ctx, period(w.rate, 1), func() bool {
		order, ok := env.ledger.randomPayment(w.rng, time.Now().Add(-age))
		if !ok {
			return true
		}
		if env.lookups.take(1) == 0 {
			return false
		}
		start := time.Now()
		// Not derived from ctx: a lookup under way when the load ends
		// finishes (see LightClient.LookupPayment).
		lctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		found, err := w.client.LookupPayment(lctx, order)
		cancel()
		s := OpSample{At: env.Net.rec.Since(), Latency: time.Since(start), OK: err == nil && len(found) > 0}
		if err != nil {
			s.Detail = err.Error()
		}
		env.Net.rec.Op("lookup", s)
		return true
	})
}

// reports asks for credit reports from one member.
type reports struct {
	peer int
	rate float64
	rng  *rand.Rand
	n    int
}

func (w *reports) Name() string { return fmt.Sprintf("reporter %d", w.peer) }

func (w *reports) Run(ctx context.Context, env *Env) {
	p := env.Net.peers[w.peer]
	timeout := env.Scenario.Load.ReportTimeout.D()
	every(ctx, period(w.rate, 1), func() bool {
		subj, ok := env.ledger.randomSubject(w.rng)
		if !ok || !p.Running() {
			return true
		}
		if env.reports.take(1) == 0 {
			return false
		}
		w.n++
		p.use(func(qs *queryServer) {
			running := len(env.Net.Running())
			rctx, cancel := context.WithTimeout(context.Background(), timeout)
			answered, asked, elapsed, why, err := qs.report(rctx, subj, w.n)
			cancel()
			s := OpSample{At: env.Net.rec.Since()}
			if err != nil {
				s.Detail = err.Error()
			} else {
				s.Latency, s.OK = elapsed, answered >= running
				s.Detail = fmt.Sprintf("%d of %d members answered", answered, asked)
				if why != "" {
					s.Detail += "; " + why
				}
			}
			env.Net.rec.Op("report", s)
		})
		return true
	})
}
