package explorer_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/explorer"
)

// The handler serves the page and its files with their types and a
// policy that lets only the page's own files run; it answers a file it
// does not have, or a path that climbs out, 404 in words.
func TestHandlerServesOnlyThePagesFiles(t *testing.T) {
	base := serve(t, explorer.Handler(true))
	for _, tc := range []struct{ path, status, ctype, body string }{
		{"/", "200", "text/html", "<title>credmesh explorer</title>"},
		{"/explorer/app.js", "200", "text/javascript", "import"},
		{"/explorer/style.css", "200", "text/css", "body"},
		{"/explorer/config.json", "200", "", `"token_required": true`},
		{"/explorer/missing.js", "404", "text/plain", "the explorer has no file /explorer/missing.js"},
		{"/explorer/../explorer.go", "404", "text/plain", "no file"},
		{"/explorer/", "404", "text/plain", "no file"},
	} {
		resp, err := http.Get(base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.Status[:3]; got != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) || !strings.Contains(string(b), tc.body) {
			t.Errorf("GET %s: %s %s %.100q, want %s %s containing %q", tc.path, resp.Status, resp.Header.Get("Content-Type"), b, tc.status, tc.ctype, tc.body)
		}
		if tc.status == "200" && !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("GET %s: no content security policy", tc.path)
		}
	}
	if !explorer.IsPagePath("/") || !explorer.IsPagePath("/explorer/app.js") || explorer.IsPagePath("/v1/status") || explorer.IsPagePath("/explorerx") {
		t.Error("IsPagePath does not tell the page's paths from the API's")
	}
}
