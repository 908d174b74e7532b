package queryproto_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/billing"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p/core/peer"
	"google.golang.org/protobuf/proto"
)

// startMembers runs the members numbered run of a genesis of members (a
// member of the genesis need not run), each bootstrapping from those
// before it, and waits until they are all connected.
func startMembers(t *testing.T, members chain.Members, run ...int) []*member {
	t.Helper()
	var ms []*member
	var boot []peer.AddrInfo
	for _, k := range run {
		m := startMember(t, k, members, boot)
		ms = append(ms, m)
		boot = append(boot, m.info())
	}
	eventually(t, 30*time.Second, "every running member is connected to every other", func() bool {
		for _, m := range ms {
			if len(m.net.ConnectedMembers()) < len(ms)-1 {
				return false
			}
		}
		return true
	})
	return ms
}

func signQuery(t *testing.T, querier int, id string, subject []byte) *queryproto.SignedQuery {
	t.Helper()
	q, err := queryproto.SignQuery(queryproto.CreditQuery{
		NetworkID: chaintest.NetworkID, QueryID: id, Querier: chaintest.Issuer(querier), Subject: privacy.Ref(subject),
		Purpose: loanPurpose, ConsentRef: "CONSENT-" + id, Time: time.Now(),
	}, chaintest.Key(querier))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// receiptsOn counts the receipts on m's own chain of queries by querier.
func receiptsOn(t *testing.T, m *member, querier int) int {
	t.Helper()
	n := 0
	if err := m.st.ReceiptsByQuerier(chaintest.Issuer(querier), func(loc store.Location) bool {
		if loc.Issuer == m.issuer() {
			n++
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// Roles decide who asks and who answers: a payments-only member's credit
// query is refused, a member without the credit role answers none, a
// report asks only the credit members, and a member without the query
// role cannot make one.
func TestCreditQueriesFollowTheRoles(t *testing.T) {
	const queryOnly, creditQuery, creditOnly, paymentsOnly = 0, 1, 2, 3
	members := chain.Members{
		chaintest.Issuer(queryOnly):    chain.RoleQuery,
		chaintest.Issuer(creditQuery):  chain.RoleCredit | chain.RoleQuery,
		chaintest.Issuer(creditOnly):   chain.RoleCredit,
		chaintest.Issuer(paymentsOnly): chain.RolePayments,
	}
	ms := startMembers(t, members, queryOnly, creditQuery, creditOnly, paymentsOnly)
	ctx := context.Background()
	subject := chaintest.Ref(50)

	// A payments-only member asks a credit member: UNAUTHORIZED, no receipt.
	c := queryproto.NewClient(ms[paymentsOnly].net.Host(), chaintest.NetworkID)
	_, err := c.CreditQuery(ctx, ms[creditQuery].id(), signQuery(t, paymentsOnly, "Q-P-1", subject))
	var se *queryproto.StatusError
	if !errors.As(err, &se) || se.Status != querypb.Status_STATUS_UNAUTHORIZED || !strings.Contains(se.Message, "query role; the asking member has payments") {
		t.Fatalf("a payments-only member's credit query: %v", err)
	}
	// A query member asks a payments-only member: it answers none.
	c = queryproto.NewClient(ms[queryOnly].net.Host(), chaintest.NetworkID)
	_, err = c.CreditQuery(ctx, ms[paymentsOnly].id(), signQuery(t, queryOnly, "Q-Q-1", subject))
	if !errors.As(err, &se) || se.Status != querypb.Status_STATUS_UNAVAILABLE || !strings.Contains(se.Message, "no credit role") {
		t.Fatalf("a credit query to a payments-only member: %v", err)
	}
	if n := receiptsOn(t, ms[creditQuery], paymentsOnly); n != 0 {
		t.Fatalf("the refused query left %d receipts", n)
	}

	// A report asks the credit members only, ourselves included if we are
	// one.
	for _, asker := range []int{queryOnly, creditQuery} {
		rep, err := newReporter(t, ms[asker]).Report(ctx, queryproto.ReportRequest{
			QueryID: fmt.Sprintf("Q-R-%d", asker), Subject: privacy.Ref(subject), Purpose: loanPurpose, ConsentRef: "C-1",
		})
		if err != nil {
			t.Fatal(err)
		}
		var asked []chain.IssuerID
		for _, res := range rep.Results {
			asked = append(asked, res.Member)
			if res.Outcome != queryproto.OutcomeAnswered {
				t.Errorf("member %d's report: %s answered %s: %v", asker, res.Member.Short(), res.Outcome, res.Err)
			}
		}
		want := []chain.IssuerID{chaintest.Issuer(creditQuery), chaintest.Issuer(creditOnly)}
		if len(asked) != 2 || !(asked[0] == want[0] && asked[1] == want[1] || asked[0] == want[1] && asked[1] == want[0]) {
			t.Errorf("member %d's report asked %v", asker, asked)
		}
		if rep.Summary.Asked != 2 || rep.Summary.Answered != 2 {
			t.Errorf("member %d's report: %+v", asker, rep.Summary)
		}
	}
	// Members without the query role make no reports, and ask nobody.
	for _, asker := range []int{creditOnly, paymentsOnly} {
		before := receiptsOn(t, ms[creditQuery], asker)
		_, err := newReporter(t, ms[asker]).Report(ctx, queryproto.ReportRequest{
			QueryID: "Q-X-1", Subject: privacy.Ref(subject), Purpose: loanPurpose, ConsentRef: "C-1",
		})
		if !errors.Is(err, queryproto.ErrUnauthorized) || !strings.Contains(err.Error(), "no query role") {
			t.Errorf("member %d's report: %v", asker, err)
		}
		if receiptsOn(t, ms[creditQuery], asker) != before {
			t.Errorf("member %d's refused report was answered", asker)
		}
	}
}

// One query ID, three subjects: the first query is answered and leaves a
// receipt; the other two are refused, unanswered, before any credit data
// leaves. The first query sent again is answered under its receipt.
func TestAQueryIDServesOneQuery(t *testing.T) {
	ms := startNetwork(t, 2)
	ctx := context.Background()
	c := queryproto.NewClient(ms[0].net.Host(), chaintest.NetworkID)
	responder := ms[1]
	for _, subject := range []int{61, 62, 63} {
		responder.submit(creditEntry(creditEvent(fmt.Sprintf("EV-%d", subject), "ACC", chaintest.Ref(subject), opened, 100, 0, chaintest.Epoch)))
	}
	first := signQuery(t, 0, "Q-SHARED", chaintest.Ref(61))
	a, err := c.CreditQuery(ctx, responder.id(), first)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Verify(first, responder.issuer(), ms[0].members); err != nil || len(a.Records) != 1 {
		t.Fatalf("first query: %d records, %v", len(a.Records), err)
	}
	for _, subject := range []int{62, 63} {
		a, err := c.CreditQuery(ctx, responder.id(), signQuery(t, 0, "Q-SHARED", chaintest.Ref(subject)))
		var se *queryproto.StatusError
		if !errors.As(err, &se) || se.Status != querypb.Status_STATUS_BAD_REQUEST || !strings.Contains(se.Message, "query ID already used") || a != nil {
			t.Fatalf("subject %d under a used query ID: %v", subject, err)
		}
	}
	if _, err := c.CreditQuery(ctx, responder.id(), first); err != nil {
		t.Fatalf("the first query again: %v", err)
	}
	responder.flush()
	if n := receiptsOn(t, responder, 0); n != 1 {
		t.Fatalf("%d receipts, want 1", n)
	}
}

// Members query each other; once the blocks replicate, billing.Compute on
// every peer gives the same statement, it balances, and nobody is billed
// for querying itself.
func TestStatementIsTheSameOnEveryPeerAndBalances(t *testing.T) {
	ms := startNetwork(t, 4)
	ctx := context.Background()
	reports := map[int]int{0: 2, 1: 1, 3: 3} // member → reports it makes
	for asker, n := range reports {
		r := newReporter(t, ms[asker])
		for i := range n {
			rep, err := r.Report(ctx, queryproto.ReportRequest{
				QueryID: fmt.Sprintf("Q-%d-%d", asker, i), Subject: privacy.Ref(chaintest.Ref(70 + i)), Purpose: loanPurpose, ConsentRef: "C-1",
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, res := range rep.Results {
				if res.Outcome != queryproto.OutcomeAnswered {
					t.Fatalf("report of member %d: %s: %s %v", asker, res.Member.Short(), res.Outcome, res.Err)
				}
			}
		}
	}
	for _, m := range ms {
		m.flush()
	}
	for _, m := range ms {
		replicated(t, ms, m)
	}
	ids := make([]chain.IssuerID, len(ms))
	for i, m := range ms {
		ids[i] = m.issuer()
	}
	period := time.Now().UTC().Format("2006-01")
	var first *billing.Statement
	for _, m := range ms {
		st, err := billing.Compute(m.st, ids, period)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = st
		} else if !reflect.DeepEqual(first, st) {
			t.Fatalf("member %d computes another statement:\n%+v\n%+v", m.key, lines(first), lines(st))
		}
	}
	pay, recv := first.Totals()
	asked, total := 0, 0
	for _, n := range reports {
		asked += n
		total += 3 * n // each report is answered by the three other members, and by the asker for free
	}
	if !reflect.DeepEqual(pay, recv) || pay["CNY"] != uint64(total*200) || len(pay) != 1 {
		t.Fatalf("totals: payable %v, receivable %v, want %d CNY", pay, recv, total*200)
	}
	for i, l := range first.Lines {
		made := 3 * reports[i]
		served := asked - reports[i] // one receipt of each other member's report
		if l.QueriesMade != made || l.QueriesServed != served || l.Net["CNY"] != int64(200*(served-made)) {
			t.Errorf("member %d: made %d, served %d, net %v; want %d, %d", i, l.QueriesMade, l.QueriesServed, l.Net, made, served)
		}
	}
}

func lines(s *billing.Statement) []billing.Line {
	var out []billing.Line
	for _, l := range s.Lines {
		out = append(out, *l)
	}
	return out
}

// A dishonest member writes receipts it has no right to — of a query the
// querier never made, with a forged or no signature, with a fee of its
// own, of a member that may not query — or a payment outside its roles,
// and publishes the block itself. Every honest member's validation rejects
// it, provably, and stores nothing of it. (Each forgery has its own forger:
// a member that rejected a block stops gossiping with its sender for a
// while, as the forgers do with each other.)
func TestForgedReceiptsAreRejectedByEveryReplica(t *testing.T) {
	const forgers, querier, noQuery, honest, honest2 = 6, 6, 7, 8, 9
	members := chain.Members{}
	for k := range forgers {
		members[chaintest.Issuer(k)] = chain.RoleCredit
	}
	members[chaintest.Issuer(querier)] = chain.RoleQuery
	members[chaintest.Issuer(noQuery)] = chain.RolePayments
	members[chaintest.Issuer(honest)] = chain.AllRoles
	members[chaintest.Issuer(honest2)] = chain.RoleCredit | chain.RoleQuery
	ms := startMembers(t, members, 0, 1, 2, 3, 4, 5, honest, honest2)
	honestOnes := ms[forgers:]

	now := time.Now()
	query := func(who int) *chainpb.CreditQuery {
		q := chaintest.Query(who, 1)
		q.TimeMs = now.UnixMilli()
		return q
	}
	fee, cur := uint64(chaintest.FeeMinor), chaintest.FeeCurrency
	tampered := chaintest.ReceiptOf(query(querier), chaintest.Key(querier), fee, cur)
	{
		q := query(querier)
		q.SubjectRef = chaintest.Ref(666)
		tampered.Query = chaintest.ReceiptOf(q, chaintest.Key(querier), fee, cur).Query
	}
	noSignature := chaintest.ReceiptOf(query(querier), chaintest.Key(querier), fee, cur)
	noSignature.QuerySignature = nil
	payment, err := chain.SealPayment(chaintest.NetworkID, chaintest.Issuer(5), chaintest.PaymentRecord(5, 1))
	if err != nil {
		t.Fatal(err)
	}
	forgeries := []struct {
		name  string
		entry *chainpb.Entry
		says  string
	}{
		{"a query the querier never made", chaintest.ReceiptEntry(chaintest.ReceiptOf(query(querier), chaintest.Key(0), fee, cur)), "query_signature: does not verify"},
		{"a query altered after signing", chaintest.ReceiptEntry(tampered), "query_signature: does not verify"},
		{"no signature", chaintest.ReceiptEntry(noSignature), "query_signature"},
		{"a fee of its own", chaintest.ReceiptEntry(chaintest.ReceiptOf(query(querier), chaintest.Key(querier), 20_000, cur)), "fee_minor"},
		{"a querier without the query role", chaintest.ReceiptEntry(chaintest.ReceiptOf(query(noQuery), chaintest.Key(noQuery), fee, cur)), "not a member with the query role"},
		{"a payment of a credit member", payment, "payments are written only by members with the payments role; this member has credit"},
	}
	for i, f := range forgeries {
		forger := ms[i]
		data, err := proto.Marshal(f.entry) // the forger's own encoder checks nothing
		if err != nil {
			t.Fatal(err)
		}
		observers := honestOnes
		before := make([]uint64, len(observers))
		for j, m := range observers {
			before[j] = m.net.Stats().BlocksRejected
		}
		// Published until every other member has judged it: a new block
		// time makes a new message each round, which gossip delivers even
		// to a member that has not yet seen the forger on the topic.
		var blk *chain.Block
		start := time.Now()
		for round := 0; ; round++ {
			blk, err = chain.NewBlock(chaintest.NetworkID, nil, [][]byte{data}, chaintest.Key(forger.key), now.Add(time.Duration(round)*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if err := forger.net.Publish(context.Background(), blk); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(time.Second)
			judged := func() bool {
				for j, m := range observers {
					if m.net.Stats().BlocksRejected <= before[j] {
						return false
					}
				}
				return true
			}
			for !judged() && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if judged() {
				t.Logf("%s: judged by every honest member in %s, round %d", f.name, time.Since(start).Round(time.Millisecond), round)
				break
			}
			if round == 20 {
				t.Fatalf("%s: not every honest member judged the block", f.name)
			}
		}
		for _, m := range observers {
			if m.st.Head(forger.issuer()) != nil {
				t.Errorf("%s: member %d stored the forged block", f.name, m.key)
			}
			// Each member's own verdict, with its own view of the chain.
			_, err := chain.ValidateBlock(blk, m.st.Head(forger.issuer()), m.members, chaintest.Params(), time.Now())
			if !chain.IsProvable(err) || !strings.Contains(err.Error(), f.says) {
				t.Errorf("%s: member %d's validation says %v, want a provable error saying %q", f.name, m.key, err, f.says)
			}
		}
	}
	// The honest member's own receipts of the querier's real query still
	// go through.
	rc := chaintest.ReceiptEntry(chaintest.ReceiptOf(query(querier), chaintest.Key(querier), fee, cur))
	honestOnes[0].submit(rc)
	replicated(t, ms, honestOnes[0])
}
