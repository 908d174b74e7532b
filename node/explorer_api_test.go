package node_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/internal/openapicheck"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/records"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// The explorer's files are text the document describes as strings.
func init() {
	for _, ct := range []string{"text/html", "text/javascript", "text/css"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
}

// exerciseExplorerAPI runs the explorer's endpoints of a real peer (base,
// backed by nd, a member of network) against the document:
// twoIssuers is an order ID two issuers published, subject one a report
// asked about.
func exerciseExplorerAPI(t *testing.T, doc *openapicheck.Doc, nd *node.Node, network, twoIssuers string, subject records.Subject) {
	t.Helper()
	base := "http://" + nd.APIAddr()
	want := func(what string, status, wantStatus int, body []byte) {
		t.Helper()
		if status != wantStatus {
			t.Errorf("%s: answered %d, want %d: %.500s", what, status, wantStatus, body)
		}
	}
	get := func(path string) (int, []byte) {
		t.Helper()
		return doc.Do(t, base, openapicheck.Request{Method: "GET", Path: path, Valid: true})
	}

	// The page.
	for path, code := range map[string]int{"/": 200, "/explorer/app.js": 200, "/explorer/verify.js": 200, "/explorer/style.css": 200, "/explorer/config.json": 200, "/explorer/nothing.js": 404} {
		st, body := get(path)
		want(path, st, code, body)
	}

	// The network and the genesis.
	st, body := get("/v1/network")
	want("network", st, 200, body)
	var nv api.NetworkView
	if err := json.Unmarshal(body, &nv); err != nil || len(nv.Members) != 3 {
		t.Fatalf("network: %s %v", body, err)
	}
	for _, m := range nv.Members {
		if !m.Self && !m.Connected || m.Height == 0 || m.Sync != "in_sync" || len(m.Roles) == 0 {
			t.Errorf("member %s: %+v, want connected and in sync with its chain", m.Name, m)
		}
	}
	st, body = get("/v1/genesis")
	want("genesis", st, 200, body)
	if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != nv.GenesisHash {
		t.Errorf("the genesis served hashes to %x, the peer's genesis hash is %s", sum, nv.GenesisHash)
	}

	// Blocks paged, by hash, entries by key.
	var tax api.NetworkMember
	for _, m := range nv.Members {
		if m.Height > tax.Height {
			tax = m
		}
	}
	var hashes []string
	for before := uint64(0); ; {
		path := "/v1/chains/" + tax.PeerID + "/blocks?limit=1"
		if before != 0 {
			path += fmt.Sprintf("&before=%d", before)
		}
		st, body := get(path)
		want("a page of blocks", st, 200, body)
		var l api.BlockList
		if err := json.Unmarshal(body, &l); err != nil || len(l.Blocks) != 1 {
			t.Fatalf("a page of blocks: %s %v", body, err)
		}
		hashes = append(hashes, l.Blocks[0].Hash)
		if l.NextBefore == 0 {
			break
		}
		before = l.NextBefore
	}
	if uint64(len(hashes)) != tax.Height {
		t.Errorf("paging one block at a time went through %d blocks of a chain of %d", len(hashes), tax.Height)
	}
	for path, code := range map[string]int{
		"/v1/chains/" + tax.PeerID + "/blocks":                                   200,
		"/v1/chains/" + tax.PeerID + "/blocks?before=0":                          400,
		"/v1/chains/" + tax.PeerID + "/blocks?limit=101":                         400,
		"/v1/chains/not-a-peer/blocks":                                           400,
		"/v1/chains/12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSB/blocks": 404,
		"/v1/blocks/" + hashes[len(hashes)-1]:                                    200,
		"/v1/blocks/" + strings.Repeat("0", 64):                                  404,
		"/v1/blocks/xyz":                                                         400,
		"/v1/entries/zz":                                                         400,
		"/v1/entries/01" + strings.Repeat("0", 64):                               404,
		"/v1/proofs/" + strings.Repeat("0", 64):                                  404,
		"/v1/proofs/abc":                                                         400,
	} {
		st, body := get(path)
		want(path, st, code, body)
	}
	lookup := privacy.Lookup(network, twoIssuers)
	st, body = get("/v1/entries/01" + hex.EncodeToString(lookup[:]))
	want("the entry of a payment two issuers published", st, 200, body)
	var el api.EntryLookup
	if err := json.Unmarshal(body, &el); err != nil || len(el.Entries) != 2 || el.Entries[0].Entry.Kind != "payment" {
		t.Errorf("entries by key: %s %v, want the two issuers' payments", body, err)
	}
	st, body = get("/v1/proofs/" + hex.EncodeToString(lookup[:]))
	want("the proofs of a payment two issuers published", st, 200, body)
	var pb api.ProofBundle
	if err := json.Unmarshal(body, &pb); err != nil || len(pb.Proofs) != 2 {
		t.Errorf("proofs: %s %v, want two", body, err)
	}

	// A subject's query records.
	post := func(b string, valid bool) (int, []byte) {
		t.Helper()
		return doc.Do(t, base, openapicheck.Request{Method: "POST", Path: "/v1/subjects/queries", Body: []byte(b), Valid: valid})
	}
	sb, _ := json.Marshal(api.SubjectRequest{Subject: subject})
	st, body = post(string(sb), true)
	want("a subject's query records", st, 200, body)
	var sq api.SubjectQueries
	if err := json.Unmarshal(body, &sq); err != nil || len(sq.Queries) == 0 || sq.Queries[0].Purpose != "loan_application" || sq.Queries[0].QuerierName == "" {
		t.Errorf("query records: %s %v, want the report's receipts", body, err)
	}
	st, body = post(`{"subject": {"kind": "nonsense", "id": "x"}}`, true)
	want("query records of a subject of no kind", st, 400, body)
	st, body = post(`{"subject": {"id": "x"}, "why": 1}`, false)
	want("query records with an unknown field", st, 400, body)

	// Under a token: the page is served without it, its data is not.
	const token = "0123456789abcdef-explorer"
	srv, err := api.Listen(nd, api.Options{Listen: "127.0.0.1:0", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	defer srv.Shutdown(context.Background())
	guarded := "http://" + srv.Addr()
	for path, code := range map[string]int{"/": 200, "/explorer/app.js": 200, "/v1/network": 401, "/v1/genesis": 401, "/v1/proofs/" + hex.EncodeToString(lookup[:]): 401} {
		st, body := doc.Do(t, guarded, openapicheck.Request{Method: "GET", Path: path, Valid: true})
		want(path+" under a token, without it", st, code, body)
	}
	st, body = doc.Do(t, guarded, openapicheck.Request{Method: "GET", Path: "/explorer/config.json", Valid: true})
	if st != 200 || !strings.Contains(string(body), `"token_required": true`) {
		t.Errorf("config.json under a token: %d %s", st, body)
	}
	st, body = doc.Do(t, guarded, openapicheck.Request{Method: "GET", Path: "/v1/network", Header: http.Header{"Authorization": {"Bearer " + token}}, Valid: true})
	want("network with the token", st, 200, body)
}
