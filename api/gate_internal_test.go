package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/internal/openapicheck"
)

// A request that reaches a server shutting down is answered 503
// shutting_down, before the token is looked at, as docs/openapi.yaml says.
func TestShuttingDownMatchesTheOpenAPIDocument(t *testing.T) {
	doc, err := openapicheck.Load("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Listen(nil, Options{Listen: "127.0.0.1:0", Token: "0123456789abcdef-token"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	s.gate.Close()
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/v1/status", ""}, {"GET", "/v1/chains", ""}, {"POST", "/v1/records", "{"},
		{"GET", "/v1/chains/x/blocks/1", ""}, {"GET", "/v1/payments/PAY-2026-0001", ""},
		{"POST", "/v1/report", "{}"}, {"GET", "/v1/billing?period=2026-11", ""}, {"POST", "/v1/credit/import", "{}"},
		{"GET", "/metrics", ""},
	} {
		req := httptest.NewRequest(r.method, "http://"+s.Addr()+r.path, strings.NewReader(r.body))
		if r.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		s.srv.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"code": "shutting_down"`) {
			t.Errorf("%s %s: %d %s", r.method, r.path, rec.Code, rec.Body)
		}
		valid := r.body != "{" && r.body != "{}"
		if err := doc.Check(req, []byte(r.body), valid, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
			t.Errorf("%s %s: %v", r.method, r.path, err)
		}
	}
}

// The probes of a server shutting down are answered 503 with a Health body
// whose status is shutting_down, without the token, as docs/openapi.yaml
// says: a load balancer takes the peer out of service.
func TestProbesWhileShuttingDown(t *testing.T) {
	doc, err := openapicheck.Load("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Listen(nil, Options{Listen: "127.0.0.1:0", Token: "0123456789abcdef-token"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	s.gate.Close()
	for _, path := range []string{"/readyz", "/healthz"} {
		req := httptest.NewRequest("GET", "http://"+s.Addr()+path, nil)
		rec := httptest.NewRecorder()
		s.srv.Handler.ServeHTTP(rec, req)
		var h Health
		if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil || rec.Code != http.StatusServiceUnavailable || h.Status != "shutting_down" || h.Version == "" {
			t.Errorf("GET %s: %d %s (%v)", path, rec.Code, rec.Body, err)
		}
		if err := doc.Check(req, nil, true, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
			t.Errorf("GET %s: %v", path, err)
		}
	}
}
