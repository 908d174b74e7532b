// Package openapicheck checks HTTP exchanges with a peer's API against
// docs/openapi.yaml, for tests: every request a test sends and every
// response it gets are validated with kin-openapi's openapi3filter, and a
// response whose status code, content type or JSON the document does not
// describe (the document's response schemas forbid additional properties)
// fails the test. It also lists the document's operations, so a test can
// compare them with the routes the server registers.
package openapicheck

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Doc is a loaded, validated OpenAPI document.
type Doc struct {
	doc    *openapi3.T
	router routers.Router

	mu   sync.Mutex
	seen map[string]map[int]bool // "METHOD path" → statuses exercised
}

// Load reads and validates the document at path. Its servers are dropped,
// so routes match any host and port (tests listen on free ports).
func Load(path string) (*Doc, error) {
	l := openapi3.NewLoader()
	doc, err := l.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("openapicheck: loading %s: %w", path, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapicheck: %s is not a valid OpenAPI document: %w", path, err)
	}
	doc.Servers = nil
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("openapicheck: routing %s: %w", path, err)
	}
	return &Doc{doc: doc, router: r, seen: make(map[string]map[int]bool)}, nil
}

// Operations returns "METHOD /path" of every operation in the document,
// sorted, with path parameters as they are named there.
func (d *Doc) Operations() []string {
	var out []string
	for path, item := range d.doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

// Request is one request a test sends.
type Request struct {
	Method, Path string // Path with its query, e.g. /v1/billing?period=2026-11
	Header       http.Header
	Body         []byte
	// Valid says whether the document accepts the request as sent: false
	// for a request the test makes malformed on purpose (the document must
	// then refuse it too), true for every other, including requests the
	// server refuses for what they mean (an unknown order ID).
	Valid bool
}

// Do sends r to the API at base (http://host:port) and returns the
// response's status and body, after checking both against the document.
func (d *Doc) Do(t testing.TB, base string, r Request) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(r.Method, base+r.Path, bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	if r.Body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: reading the response: %v", r.Method, r.Path, err)
	}
	if err := d.Check(req, r.Body, r.Valid, resp.StatusCode, resp.Header, body); err != nil {
		t.Errorf("%s %s: %v", r.Method, r.Path, err)
	}
	return resp.StatusCode, body
}

// Check checks one exchange: that the document routes the request, that it
// judges the request as valid exactly when valid is true, and that it
// describes the response.
func (d *Doc) Check(req *http.Request, reqBody []byte, valid bool, status int, header http.Header, body []byte) error {
	// The router needs a request it can read again.
	rr := req.Clone(context.Background())
	rr.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := d.router.FindRoute(rr)
	if err != nil {
		return fmt.Errorf("the document has no operation for it (answered %d): %w", status, err)
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	in := &openapi3filter.RequestValidationInput{Request: rr, PathParams: params, Route: route, Options: opts}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	switch {
	case valid && reqErr != nil:
		return fmt.Errorf("the document refuses the request: %w", reqErr)
	case !valid && reqErr == nil:
		return fmt.Errorf("the document accepts a request meant to be malformed (answered %d)", status)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header, Options: opts}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("the document does not describe the response %d %s: %s", status, clip(bytes.TrimSpace(body)), clip([]byte(err.Error())))
	}
	d.mu.Lock()
	op := route.Method + " " + route.Path
	if d.seen[op] == nil {
		d.seen[op] = make(map[int]bool)
	}
	d.seen[op][status] = true
	d.mu.Unlock()
	return nil
}

// Unexercised returns the operations no checked exchange reached, and, for
// the others, the documented statuses none was answered with
// ("GET /v1/status 401").
func (d *Doc) Unexercised() (operations, statuses []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for path, item := range d.doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			seen, ok := d.seen[name]
			if !ok {
				operations = append(operations, name)
				continue
			}
			for code := range op.Responses.Map() {
				if !seen[atoi(code)] {
					statuses = append(statuses, name+" "+code)
				}
			}
		}
	}
	slices.Sort(operations)
	slices.Sort(statuses)
	return operations, statuses
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = 10*n + int(c-'0')
	}
	return n
}

// NormalizePath replaces every {name} of a path by {}, so that routes and
// document paths compare whatever their parameters are called.
func NormalizePath(p string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			b.WriteString(p)
			return b.String()
		}
		j := strings.IndexByte(p[i:], '}')
		if j < 0 {
			b.WriteString(p)
			return b.String()
		}
		b.WriteString(p[:i] + "{}")
		p = p[i+j+1:]
	}
}

// CheckError checks that body, answered where no operation of the document
// applies (an unknown path), is the document's Error with the given code.
func (d *Doc) CheckError(body []byte, code string) error {
	ref := d.doc.Components.Schemas["Error"]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("the document has no Error schema")
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("not JSON: %w: %s", err, body)
	}
	if err := ref.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		return fmt.Errorf("not the document's Error: %w", err)
	}
	if got := v.(map[string]any)["error"].(map[string]any)["code"]; got != code {
		return fmt.Errorf("error code %v, want %s", got, code)
	}
	return nil
}

// clip shortens what an error quotes: a response can be megabytes.
func clip(b []byte) string {
	const max = 2000
	if len(b) <= max {
		return string(b)
	}
	return string(b[:max]) + fmt.Sprintf("... (%d bytes)", len(b))
}
