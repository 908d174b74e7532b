package queryproto

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"google.golang.org/protobuf/proto"
)

// The fuzz targets feed arbitrary bytes to every decoder of network input,
// on both sides. Nothing may panic; what decodes must survive the checks
// that follow it.

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzDecodeRequest(f *testing.F) {
	q := testQuery(f, 1, "Q-1")
	f.Add(mustMarshal(f, &querypb.Request{Op: &querypb.Request_Heads{Heads: &querypb.HeadsRequest{}}}))
	f.Add(mustMarshal(f, &querypb.Request{Op: &querypb.Request_Payment{Payment: &querypb.PaymentRequest{Lookup: chaintest.BulkLookup(1)}}}))
	f.Add(mustMarshal(f, &querypb.Request{Op: &querypb.Request_CreditQuery{CreditQuery: q.Proto()}}))
	f.Add([]byte{0x1a, 0x00})
	members := chaintest.Members(2)
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := decodeRequest(data)
		if err != nil {
			if statusOf(err) != querypb.Status_STATUS_BAD_REQUEST {
				t.Fatalf("a request that does not decode must be a BAD_REQUEST: %v", err)
			}
			return
		}
		if req.query != nil {
			_ = req.query.Check(chaintest.NetworkID, testTime)
			_ = members.Contains(req.query.Querier)
		}
	})
}

func FuzzDecodeResponse(f *testing.F) {
	q := testQuery(f, 1, "Q-1")
	at := chaintest.Epoch
	ev := encode(f, eventEntry(event("E1", "A", chainpb.CreditEventKind_CREDIT_EVENT_KIND_OPENED, 1, 0, at)))
	proofs := blockProofs(f, 0, ev, chaintest.PaymentEntry(0, 1), chaintest.PaymentEntry(0, 2))
	a, err := SignAnswer(CreditAnswer{
		NetworkID: chaintest.NetworkID, Responder: chaintest.Issuer(0), QueryHash: q.Hash, Time: testTime,
		Records: proofs[:1], Private: [][]byte{ev}, FeeMinor: 1, FeeCurrency: "CNY",
	}, chaintest.Key(0))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(mustMarshal(f, &querypb.Response{Status: querypb.Status_STATUS_OK, Result: &querypb.Response_Heads{
		Heads: &querypb.HeadsResponse{Heads: []*chainpb.SignedHeader{proofs[0].Header.Proto()}}}}))
	f.Add(mustMarshal(f, &querypb.Response{Status: querypb.Status_STATUS_OK, Result: &querypb.Response_Payment{
		Payment: &querypb.PaymentResponse{Proofs: []*querypb.Proof{proofToPB(proofs[1]), proofToPB(proofs[2])}}}}))
	// A payment answer with evidence against its issuer: the block of the
	// proofs and another block issuer 0 signed at that height.
	other := blockProofs(f, 0, chaintest.PaymentEntry(0, 3))[0].Header
	fork := chain.NewEvidence(proofs[1].Header, other)
	if fork == nil || fork.Verify(chaintest.Members(2), chaintest.NetworkID) != nil {
		f.Fatal("the seed's evidence does not verify")
	}
	f.Add(mustMarshal(f, &querypb.Response{Status: querypb.Status_STATUS_OK, Result: &querypb.Response_Payment{
		Payment: &querypb.PaymentResponse{Proofs: []*querypb.Proof{proofToPB(proofs[1])}, Evidence: []*chainpb.Evidence{fork.Proto()}}}}))
	f.Add(mustMarshal(f, &querypb.Response{Status: querypb.Status_STATUS_OK, Result: &querypb.Response_CreditAnswer{CreditAnswer: a.Proto()}}))
	f.Add(mustMarshal(f, failure(querypb.Status_STATUS_NOT_FOUND, "none")))
	members := chaintest.Members(2)
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, err := decodeResponse(data)
		if err != nil {
			return
		}
		switch resp.Result.(type) {
		case *querypb.Response_Heads:
			heads, err := decodeHeads(resp)
			for _, h := range heads {
				_ = h.VerifySignature()
			}
			_ = err
		case *querypb.Response_Payment:
			pa, err := decodePayment(resp)
			if err != nil {
				return
			}
			if len(pa.Evidence) > len(pa.Proofs) {
				t.Fatalf("decoded %d pieces of evidence for %d proofs", len(pa.Evidence), len(pa.Proofs))
			}
			for _, p := range pa.Proofs {
				_ = p.Verify(members, chaintest.NetworkID)
			}
			for _, ev := range pa.Evidence {
				if ev.Verify(members, chaintest.NetworkID) == nil && (ev.A.Issuer != ev.B.Issuer || ev.A.Height != ev.B.Height || ev.A.Hash == ev.B.Hash) {
					t.Fatal("evidence verified that shows no fork")
				}
			}
		case *querypb.Response_CreditAnswer:
			if a, err := decodeAnswer(resp); err == nil {
				if a.Verify(q, chaintest.Issuer(0), members) == nil {
					if _, err := summarizeAnswers([]*SignedAnswer{a}, 1, testTime); err != nil {
						t.Fatalf("a verified answer does not summarize: %v", err)
					}
				}
			}
		}
	})
}

func FuzzDecodeSignedQuery(f *testing.F) {
	q := testQuery(f, 1, "Q-1")
	f.Add(q.Raw, q.Signature)
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, raw, sig []byte) {
		sq, err := DecodeSignedQuery(raw, sig)
		if err != nil {
			return
		}
		if err := sq.Check(chaintest.NetworkID, sq.Time); err == nil && !bytes.Equal(sq.Raw, q.Raw) {
			t.Fatal("a query verified that the key never signed")
		}
	})
}

func FuzzReadFrame(f *testing.F) {
	f.Add(binary.AppendUvarint(nil, 3), []byte("abc"))
	f.Add(binary.AppendUvarint(nil, 1<<40), []byte{})
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, []byte{})
	f.Fuzz(func(t *testing.T, prefix, body []byte) {
		r := bufio.NewReader(bytes.NewReader(append(prefix, body...)))
		data, release, err := readFrame(r, nil, 1024)
		if err != nil {
			return
		}
		release()
		if len(data) > 1024 {
			t.Fatalf("read %d bytes past the cap", len(data))
		}
	})
}

func FuzzDecodeSignedAnswer(f *testing.F) {
	q := testQuery(f, 1, "Q-1")
	ev := encode(f, eventEntry(event("E1", "A", chainpb.CreditEventKind_CREDIT_EVENT_KIND_OPENED, 1, 0, chaintest.Epoch)))
	ev2 := encode(f, eventEntry(event("E2", "A", chainpb.CreditEventKind_CREDIT_EVENT_KIND_CLOSED, 0, 0, chaintest.Epoch)))
	a, err := SignAnswer(CreditAnswer{
		NetworkID: chaintest.NetworkID, Responder: chaintest.Issuer(0), QueryHash: q.Hash, Time: testTime,
		Records: blockProofs(f, 0, ev, ev2), Private: [][]byte{ev}, FeeMinor: 1, FeeCurrency: "CNY",
	}, chaintest.Key(0))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(a.Raw, a.Signature)
	members := chaintest.Members(2)
	f.Fuzz(func(t *testing.T, raw, sig []byte) {
		a, err := DecodeSignedAnswer(raw, sig)
		if err != nil {
			return
		}
		if a.Verify(q, chaintest.Issuer(0), members) == nil {
			if _, err := summarizeAnswers([]*SignedAnswer{a}, 1, testTime); err != nil {
				t.Fatalf("a verified answer does not summarize: %v", err)
			}
		}
	})
}
