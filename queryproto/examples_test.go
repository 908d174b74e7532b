package queryproto_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/peerid"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/merkle"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"google.golang.org/protobuf/proto"
)

// protocolDoc is the normative specification whose worked examples
// TestProtocolExamples recomputes.
const protocolDoc = "../docs/PROTOCOL.md"

// exampleLine is "name: value" inside a ```example block.
var exampleLine = regexp.MustCompile(`^([a-z0-9_]+): (.*)$`)

// examples computes every worked example of docs/PROTOCOL.md from fixed
// inputs, partly with the package's code and partly from the
// specification's formulas directly, checking that the two agree.
func examples(t *testing.T) map[string]string {
	t.Helper()
	ex := make(map[string]string)
	put := func(name string, b []byte) { ex[name] = hex.EncodeToString(b) }
	text := func(name, v string) { ex[name] = v }

	const network = "example-net"
	const orderID = "PAY-2026-11-0001-7c1f9e2a4b"
	text("network_id", network)
	for name, id := range map[string]string{
		"status_protocol": string(p2p.StatusProtocol(network)),
		"sync_protocol":   string(p2p.SyncProtocol(network)),
		"query_protocol":  string(p2p.QueryProtocol(network)),
		"dht_protocol":    string(p2p.DHTPrefix(network)) + "/kad/1.0.0",
		"blocks_topic":    p2p.BlocksTopic(network),
		"evidence_topic":  p2p.EvidenceTopic(network),
		"rendezvous":      p2p.Rendezvous(network),
	} {
		text(name, id)
	}

	// Identity: a fixed seed.
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i)
	}
	key := ed25519.NewKeyFromSeed(seed)
	issuer := chain.IssuerOf(key.Public().(ed25519.PublicKey))
	put("seed", seed)
	put("issuer", issuer[:])
	pid, err := peerid.FromIssuer(issuer)
	if err != nil {
		t.Fatal(err)
	}
	text("peer_id", pid.String())
	put("peer_id_bytes", []byte(pid))

	// Lookup hash and sealing key, from the formulas.
	text("order_id", orderID)
	prk, err := hkdf.Extract(sha256.New, []byte(orderID), []byte(network))
	if err != nil {
		t.Fatal(err)
	}
	lookup, _ := hkdf.Expand(sha256.New, prk, "credmesh/v1 payment lookup", 32)
	sealKey, _ := hkdf.Expand(sha256.New, prk, "credmesh/v1 payment key", 32)
	if l := privacy.Lookup(network, orderID); !bytes.Equal(l[:], lookup) {
		t.Fatal("privacy.Lookup disagrees with the specification")
	}
	put("prk", prk)
	put("lookup", lookup)
	put("payment_key", sealKey)
	aad := append([]byte("credmesh/v1/payment\x00"), lookup...)
	aad = append(aad, issuer[:]...)
	put("aad", aad)

	record := &chainpb.PaymentRecord{
		OrderId: orderID, PayerRef: bytes.Repeat([]byte{0xab}, 32), Category: chainpb.PaymentCategory_PAYMENT_CATEGORY_PENSION,
		AmountMinor: 123456, Currency: "CNY", Period: "2026-11", PaidAtMs: 1795000000000,
		Channel: "bank", Region: "440300", ReceiptNo: "R-0001",
	}
	pt, err := proto.MarshalOptions{Deterministic: true}.Marshal(record)
	if err != nil {
		t.Fatal(err)
	}
	put("payment_record", pt)
	nonce := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	put("nonce", nonce)
	sealed, err := privacy.Seal(network, orderID, issuer[:], pt, bytes.NewReader(nonce))
	if err != nil {
		t.Fatal(err)
	}
	put("ciphertext", sealed.Ciphertext)
	entry, err := chain.EncodeEntry(&chainpb.Entry{Body: &chainpb.Entry_Payment{Payment: &chainpb.SealedPayment{
		Lookup: lookup, Nonce: nonce, Ciphertext: sealed.Ciphertext}}})
	if err != nil {
		t.Fatal(err)
	}
	put("sealed_entry", entry)
	e, _ := chain.DecodeEntry(entry, 4096)
	put("entry_key", chain.EntryKey(e))
	if got, err := chain.OpenPayment(network, orderID, issuer, e.GetPayment()); err != nil || !proto.Equal(got, record) {
		t.Fatalf("the example does not open: %v", err)
	}

	// Subject reference.
	secret := bytes.Repeat([]byte{0x5a}, 32)
	put("subject_secret", secret)
	id, err := privacy.ParseID(privacy.KindResidentID, "11010519491231002x")
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := id.Ref(secret)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("credmesh/v1/subject\x00cn-rid:11010519491231002X"))
	if !bytes.Equal(m.Sum(nil), ref[:]) {
		t.Fatal("Ref disagrees with the specification")
	}
	put("subject_ref", ref[:])
	fp := sha256.Sum256(append([]byte("credmesh/v1/subject-secret\x00"+network+"\x00"), secret...))
	if config.SecretFingerprint(network, secret) != hex.EncodeToString(fp[:]) {
		t.Fatal("config.SecretFingerprint disagrees with the specification")
	}
	put("subject_secret_fingerprint", fp[:])

	// Merkle tree of three entries.
	entries := [][]byte{[]byte("entry-0"), []byte("entry-1"), []byte("entry-2")}
	leaves := chain.LeafHashes(entries)
	for i, l := range leaves {
		sum := sha256.Sum256(append([]byte{0}, entries[i]...))
		if sum != l {
			t.Fatal("LeafHash disagrees with the specification")
		}
		put("leaf_"+string(rune('0'+i)), l[:])
	}
	n01 := merkle.NodeHash(leaves[0], leaves[1])
	put("node_01", n01[:])
	root := merkle.Root(leaves)
	if want := merkle.NodeHash(n01, leaves[2]); root != want {
		t.Fatal("Root disagrees with the specification")
	}
	put("root_3", root[:])
	path0, _ := merkle.InclusionProof(leaves, 0)
	path2, _ := merkle.InclusionProof(leaves, 2)
	put("path_0", append(path0[0][:], path0[1][:]...))
	put("path_2", path2[0][:])

	// A signed header over those entries.
	sh, err := chain.SignHeader(chain.Header{
		NetworkID: network, Issuer: issuer, Height: 1, Time: time.UnixMilli(1795000000000),
		EntryCount: 3, EntriesRoot: root,
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	put("header", sh.Raw)
	put("header_signature", sh.Signature)
	put("block_hash", sh.Hash[:])
	put("signed_header", sh.Marshal())
	if !ed25519.Verify(issuer[:], append([]byte("credmesh/v1/header\x00"), sh.Raw...), sh.Signature) {
		t.Fatal("the header signature does not verify by the specification")
	}

	// Blocks 2 and 3 over the same entries, a second apart: the history
	// each commits to (5.8), and the proof of block 1 in block 3's.
	leaf := func(h chain.Hash) []byte { s := sha256.Sum256(append([]byte{0}, h[:]...)); return s[:] }
	b2, err := chain.NewBlock(network, chain.WithHistory(sh, nil), entries, key, time.UnixMilli(1795000001000))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b2.HistoryRoot[:], leaf(sh.Hash)) {
		t.Fatal("the history root of block 2 disagrees with the specification")
	}
	b3, err := chain.NewBlock(network, b2.SignedHeader, entries, key, time.UnixMilli(1795000002000))
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256(append(append([]byte{1}, leaf(sh.Hash)...), leaf(b2.Hash)...)); b3.HistoryRoot != want {
		t.Fatal("the history root of block 3 disagrees with the specification")
	}
	if err := chain.VerifyInHistory(sh, b3.SignedHeader, []chain.Hash{chain.Hash(leaf(b2.Hash))}); err != nil {
		t.Fatalf("the history proof of the example does not verify: %v", err)
	}
	put("history_root_2", b2.HistoryRoot[:])
	put("header_2", b2.Raw)
	put("block_hash_2", b2.Hash[:])
	put("history_root_3", b3.HistoryRoot[:])
	put("header_3", b3.Raw)
	put("block_hash_3", b3.Hash[:])
	put("history_path_1_in_3", leaf(b2.Hash))

	// A credit query and an answer with no records.
	q, err := queryproto.SignQuery(queryproto.CreditQuery{
		NetworkID: network, QueryID: "Q-0001", Querier: issuer, Subject: ref,
		Purpose: chainpb.QueryPurpose_QUERY_PURPOSE_LOAN_APPLICATION, ConsentRef: "CONSENT-0001",
		Time: time.UnixMilli(1795000000000),
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	put("credit_query", q.Raw)
	put("credit_query_signature", q.Signature)
	put("query_hash", q.Hash[:])
	// The responder: a second member, whose key's seed is 0x20 to 0x3f.
	rseed := make([]byte, ed25519.SeedSize)
	for i := range rseed {
		rseed[i] = byte(0x20 + i)
	}
	rkey := ed25519.NewKeyFromSeed(rseed)
	responder := chain.IssuerOf(rkey.Public().(ed25519.PublicKey))
	put("responder_seed", rseed)
	put("responder", responder[:])
	a, err := queryproto.SignAnswer(queryproto.CreditAnswer{
		NetworkID: network, Responder: responder, QueryHash: q.Hash, Time: time.UnixMilli(1795000000250),
		FeeMinor: 200, FeeCurrency: "CNY",
	}, rkey)
	if err != nil {
		t.Fatal(err)
	}
	put("credit_answer", a.Raw)
	put("credit_answer_signature", a.Signature)

	// The receipt the responder writes of that query, no records returned,
	// and its keys (5.3), from the formulas.
	receipt, err := chain.EncodeEntry(q.Receipt(0, 200, "CNY"))
	if err != nil {
		t.Fatal(err)
	}
	put("receipt_entry", receipt)
	re, _ := chain.DecodeEntry(receipt, 4096)
	rk := append(append([]byte{0x03}, issuer[:]...), q.Hash[:]...)
	if !bytes.Equal(chain.EntryKey(re), rk) {
		t.Fatal("the receipt key disagrees with the specification")
	}
	put("receipt_key", rk)
	idk := append(append([]byte{0x05}, issuer[:]...), "Q-0001"...)
	if !bytes.Equal(chain.QueryIDKey(re), idk) {
		t.Fatal("the receipt's query-ID key disagrees with the specification")
	}
	put("receipt_query_id_key", idk)
	members := chain.Members{issuer: chain.RoleQuery, responder: chain.RoleCredit}
	params := chain.DefaultParams(network)
	params.QueryFeeMinor, params.FeeCurrency = 200, "CNY"
	if err := chain.CheckEntry(re, responder, members, params, time.UnixMilli(1795000000250)); err != nil {
		t.Fatalf("the example receipt is not valid: %v", err)
	}

	// Frames.
	frame := func(m proto.Message) []byte {
		b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		return append(binary.AppendUvarint(nil, uint64(len(b))), b...)
	}
	put("heads_request_frame", frame(&querypb.Request{Op: &querypb.Request_Heads{Heads: &querypb.HeadsRequest{}}}))
	put("payment_request_frame", frame(&querypb.Request{Op: &querypb.Request_Payment{Payment: &querypb.PaymentRequest{Lookup: lookup}}}))
	put("not_found_frame", frame(&querypb.Response{Status: querypb.Status_STATUS_NOT_FOUND, Error: "none"}))
	return ex
}

// TestProtocolExamples recomputes every worked example in
// docs/PROTOCOL.md and fails when the document differs, so it cannot
// drift from the code. UPDATE_PROTOCOL_EXAMPLES=1 rewrites the values.
func TestProtocolExamples(t *testing.T) {
	want := examples(t)
	doc, err := os.ReadFile(protocolDoc)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(doc), "\n")
	found := make(map[string]bool)
	in := false
	for i, line := range lines {
		switch {
		case line == "```example":
			in = true
			continue
		case strings.HasPrefix(line, "```"):
			in = false
			continue
		case !in:
			continue
		}
		m := exampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("PROTOCOL.md line %d in an example block is not \"name: value\": %q", i+1, line)
			continue
		}
		name, got := m[1], m[2]
		v, ok := want[name]
		switch {
		case !ok:
			t.Errorf("PROTOCOL.md line %d: unknown example %q", i+1, name)
		case found[name]:
			t.Errorf("PROTOCOL.md line %d: example %q given twice", i+1, name)
		case got != v:
			if os.Getenv("UPDATE_PROTOCOL_EXAMPLES") != "" {
				lines[i] = name + ": " + v
			} else {
				t.Errorf("PROTOCOL.md line %d: %s is\n  %s\nthe code computes\n  %s", i+1, name, got, v)
			}
		}
		found[name] = true
	}
	for name, v := range want {
		if !found[name] {
			t.Errorf("PROTOCOL.md lacks the example %s: %s", name, v)
		}
	}
	if os.Getenv("UPDATE_PROTOCOL_EXAMPLES") != "" {
		if err := os.WriteFile(protocolDoc, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
