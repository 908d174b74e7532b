package queryproto

import (
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/merkle"
	"github.com/credmesh/credmesh/chain/privacy"
)

// Helpers shared by the package's internal tests and fuzz seeds.

var testTime = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func testQuery(t testing.TB, querier int, id string) *SignedQuery {
	t.Helper()
	q, err := SignQuery(CreditQuery{
		NetworkID: chaintest.NetworkID, QueryID: id, Querier: chaintest.Issuer(querier),
		Subject: privacy.Ref(chaintest.Ref(42)), Purpose: chainpb.QueryPurpose_QUERY_PURPOSE_LOAN_APPLICATION,
		ConsentRef: "CONSENT-1", Time: testTime,
	}, chaintest.Key(querier))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// blockProofs seals entries into block 1 of issuer and returns the proof
// of every entry.
func blockProofs(t testing.TB, issuer int, entries ...[]byte) []*chain.Proof {
	t.Helper()
	b, err := chain.NewBlock(chaintest.NetworkID, nil, entries, chaintest.Key(issuer), chaintest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	tree := merkle.NewTree(chain.LeafHashes(entries))
	out := make([]*chain.Proof, len(entries))
	for i := range entries {
		path, err := tree.Proof(uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = &chain.Proof{Entry: entries[i], Index: uint32(i), Path: path, Header: b.SignedHeader}
	}
	return out
}

func encode(t testing.TB, e *chainpb.Entry) []byte {
	t.Helper()
	b, err := chain.EncodeEntry(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func event(id, account string, kind chainpb.CreditEventKind, outstanding uint64, days uint32, at time.Time) *chainpb.CreditEvent {
	c := &chainpb.CreditEvent{
		EventId: id, SubjectRef: chaintest.Ref(42), AccountId: account, Kind: kind,
		AmountMinor: 100, OutstandingMinor: outstanding, Currency: "CNY", OccurredAtMs: at.UnixMilli(),
	}
	if chain.IsNegative(kind) {
		c.DaysOverdue, c.ExpiresAtMs = days, at.AddDate(5, 0, 0).UnixMilli()
	}
	return c
}

func eventEntry(c *chainpb.CreditEvent) *chainpb.Entry {
	return &chainpb.Entry{Body: &chainpb.Entry_CreditEvent{CreditEvent: c}}
}
