package api_test

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/internal/openapicheck"
	"github.com/credmesh/credmesh/records"
	"github.com/prometheus/client_golang/prometheus"
)

const openAPIFile = "../docs/openapi.yaml"

// registeredRoutes returns the "METHOD /path" patterns the package's files
// register on a mux, the catch-all "/" left out.
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, file := range []string{"server.go", "explorer.go", "rights.go", "membership.go"} {
		out = append(out, routesOf(t, file)...)
	}
	slices.Sort(out)
	return out
}

func routesOf(t *testing.T, file string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "HandleFunc" && sel.Sel.Name != "Handle") {
			return true
		}
		if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "mux" {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok {
			t.Fatalf("a route registered with a pattern that is no literal: %T", call.Args[0])
		}
		pattern, _ := strconv.Unquote(lit.Value)
		pattern = strings.TrimSuffix(pattern, "{$}") // "GET /{$}" is the document's "/"
		if pattern == "/" {
			return true
		}
		if !strings.Contains(pattern, " ") {
			t.Errorf("route %q names no method", pattern)
		}
		out = append(out, pattern)
		return true
	})
	slices.Sort(out)
	return out
}

// Every route the server registers is an operation of docs/openapi.yaml,
// and every operation there is a route.
func TestEveryRouteIsInTheOpenAPIDocument(t *testing.T) {
	doc, err := openapicheck.Load(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	routes := registeredRoutes(t)
	if len(routes) < 8 {
		t.Fatalf("found only %d routes in server.go: %v", len(routes), routes)
	}
	norm := func(in []string) []string {
		out := make([]string, len(in))
		for i, s := range in {
			out[i] = openapicheck.NormalizePath(s)
		}
		slices.Sort(out)
		return out
	}
	have, documented := norm(routes), norm(doc.Operations())
	for _, r := range have {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in %s", r, openAPIFile)
		}
	}
	for _, op := range documented {
		if !slices.Contains(have, op) {
			t.Errorf("operation %s of %s is no route of the server", op, openAPIFile)
		}
	}
}

// failing is a Backend whose every call fails with err.
type failing struct{ err error }

func (f failing) Submit(context.Context, []records.Record) ([]error, error) { return nil, f.err }
func (f failing) Status() api.Status                                        { return api.Status{} }
func (f failing) Block(string, uint64) (*api.BlockView, error)              { return nil, f.err }
func (f failing) Report(context.Context, api.ReportRequest) (*api.ReportView, error) {
	return nil, f.err
}
func (f failing) Billing(string) (*api.BillingView, error) { return nil, f.err }
func (f failing) ImportCredit(context.Context, []records.Record, bool) ([]error, error) {
	return nil, f.err
}
func (f failing) Payment(string) (*api.PaymentLookup, error)      { return nil, f.err }
func (f failing) AckFork(string, string) (*api.ForkStatus, error) { return nil, f.err }

// The statuses a real peer answers only when its disk fills, its store
// fails or a deadline passes, from a backend that fails so, against the
// document.
func TestFailureStatusesMatchTheOpenAPIDocument(t *testing.T) {
	doc, err := openapicheck.Load(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	records := []byte(`{"records": [{"type": "credit_event"}]}`)
	report := []byte(`{"subject": {"kind": "cn-rid", "id": "x"}, "purpose": "loan_application", "consent_ref": "C-1"}`)
	type call struct {
		method, path string
		body         []byte
	}
	for _, tc := range []struct {
		err    error
		status int
		code   string
		calls  []call
	}{
		{fmt.Errorf("%w: the disk is nearly full", api.ErrInsufficientStorage), 507, "insufficient_storage", []call{
			{"POST", "/v1/records", records}, {"POST", "/v1/credit/import", records}}},
		{errors.New("store: corrupt"), 500, "internal", []call{
			{"POST", "/v1/records", records}, {"POST", "/v1/credit/import", records}, {"POST", "/v1/report", report},
			{"GET", "/v1/chains/12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSB/blocks/1", nil}, {"GET", "/v1/payments/PAY-2026-0001", nil}}},
		{fmt.Errorf("%w: recovering own chain from the network", api.ErrBusy), 503, "unavailable", []call{
			{"POST", "/v1/records", records}, {"POST", "/v1/credit/import", records}}},
		{context.DeadlineExceeded, 503, "unavailable", []call{{"POST", "/v1/report", report}}},
	} {
		s, err := api.Listen(failing{tc.err}, api.Options{Listen: "127.0.0.1:0", Token: "0123456789abcdef-token", Gatherer: prometheus.NewRegistry()})
		if err != nil {
			t.Fatal(err)
		}
		go s.Serve()
		base := "http://" + s.Addr()
		for _, c := range tc.calls {
			auth := map[string][]string{"Authorization": {"Bearer 0123456789abcdef-token"}}
			status, body := doc.Do(t, base, openapicheck.Request{Method: c.method, Path: c.path, Body: c.body, Header: auth, Valid: true})
			if status != tc.status || !strings.Contains(string(body), `"code": "`+tc.code+`"`) {
				t.Errorf("%s %s with %v: %d %s, want %d %s", c.method, c.path, tc.err, status, body, tc.status, tc.code)
			}
			// Without the token, whatever the backend would say.
			if status, body := doc.Do(t, base, openapicheck.Request{Method: c.method, Path: c.path, Body: c.body, Valid: true}); status != 401 {
				t.Errorf("%s %s without the token: %d %s", c.method, c.path, status, body)
			}
		}
		for _, path := range []string{"/metrics", "/v1/billing?period=2026-11", "/v1/chains"} {
			if status, body := doc.Do(t, base, openapicheck.Request{Method: "GET", Path: path, Valid: true}); status != 401 {
				t.Errorf("GET %s without the token: %d %s", path, status, body)
			}
		}
		s.Shutdown(context.Background())
	}
	many := `{"records": [` + strings.Repeat(`{"type": "credit_event"},`, api.MaxSubmitRecords) + `{"type": "credit_event"}]}`
	s, err := api.Listen(failing{errors.New("not reached")}, api.Options{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	defer s.Shutdown(context.Background())
	base := "http://" + s.Addr()
	if status, body := doc.Do(t, base, openapicheck.Request{Method: "POST", Path: "/v1/credit/import", Body: []byte(many)}); status != 413 {
		t.Errorf("an import of 20,001 records: %d %s", status, body)
	}
	huge := append([]byte(strings.Repeat(" ", api.MaxSubmitBytes)), report...)
	if status, body := doc.Do(t, base, openapicheck.Request{Method: "POST", Path: "/v1/report", Body: huge, Valid: true}); status != 413 {
		t.Errorf("a report body over 16 MiB: %d %s", status, body)
	}
}
