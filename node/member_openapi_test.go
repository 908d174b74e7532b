package node_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
)

// membershipRequests exercises the membership endpoints of running peers
// against docs/openapi.yaml: a proposal, its errors, an approval and the
// list.
func membershipRequests(t *testing.T, want func(string, int, int, []byte),
	get func(base, path string) (int, []byte), post func(base, path string, body []byte, valid bool) (int, []byte),
	tax, bankA, bankID string) {
	t.Helper()
	st, body := get(tax, "/v1/membership")
	want("the membership", st, 200, body)
	st, body = post(tax, "/v1/membership/proposals", []byte(`{"kind": "param", "id": "fee-150", "param": "query_fee", "value": "150 CNY"}`), true)
	want("a proposal", st, 200, body)
	st, body = post(tax, "/v1/membership/proposals", []byte(`{"kind": "param", "id": "fee-150", "param": "query_fee", "value": "150 CNY"}`), true)
	want("a proposal ID used twice", st, 409, body)
	soon := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	st, body = post(tax, "/v1/membership/proposals", []byte(`{"kind": "remove", "peer_id": "`+bankID+`", "activate_at": "`+soon+`"}`), true)
	want("an activation too soon", st, 400, body)
	if !strings.Contains(string(body), "too soon") {
		t.Errorf("an activation too soon: %s", body)
	}
	st, body = post(tax, "/v1/membership/proposals", []byte(`{"kind": "param", "param": "no_such", "value": "1"}`), false)
	want("an unknown parameter", st, 400, body)
	st, body = post(bankA, "/v1/membership/proposals/no-such/approve", []byte(`{}`), true)
	want("approving an unknown proposal", st, 404, body)
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, body = post(bankA, "/v1/membership/proposals/fee-150/approve", []byte(`{}`), true)
		if st != 404 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	want("an approval", st, 200, body)
	st, body = post(tax, "/v1/membership/proposals/fee-150/approve", []byte(`{}`), true)
	want("approving one's own proposal", st, 409, body)
	st, body = get(bankA, "/v1/membership")
	want("the membership with a proposal", st, 200, body)
	var v api.MembershipView
	if err := json.Unmarshal(body, &v); err != nil || len(v.Proposals) != 1 || v.Proposals[0].State != "pending" || v.Proposals[0].Kind != "param" {
		t.Errorf("the membership with a proposal: %v %s", err, body)
	}
}
