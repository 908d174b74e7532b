package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// A hostile page the operator opens cannot write through the API: a
// browser's cross-origin POST (even a "simple" text/plain one, which needs
// no preflight) is refused, and with no token a request for a host name
// (DNS rebinding) is refused too; the CLI's requests, which carry neither
// Sec-Fetch-Site nor Origin, and the page's own same-origin calls pass.
func TestBrowsersCannotWriteFromAnotherOrigin(t *testing.T) {
	post := func(addr, host string, headers map[string]string) (int, string) {
		t.Helper()
		req, err := http.NewRequest("POST", "http://"+addr+"/v1/records", strings.NewReader(`{"records":[{"type":"payment"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "text/plain")
		if host != "" {
			req.Host = host
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	open := serve(t, "")
	for name, tc := range map[string]struct {
		host    string
		headers map[string]string
		want    int
		code    string
	}{
		"a page on another site":             {"", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403, "cross_origin"},
		"an old browser, Origin only":        {"", map[string]string{"Origin": "https://evil.example"}, 403, "cross_origin"},
		"DNS rebinding: same-origin, a name": {"rebind.evil.example", map[string]string{"Sec-Fetch-Site": "same-origin"}, 403, "host"},
		"the explorer, same origin":          {"", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://" + open}, 503, "unavailable"},
		"the CLI":                            {"", nil, 503, "unavailable"},
		"localhost by name":                  {"localhost", nil, 503, "unavailable"},
	} {
		st, body := post(open, tc.host, tc.headers)
		if st != tc.want || !strings.Contains(body, `"`+tc.code+`"`) {
			t.Errorf("%s: %d %s, want %d %s", name, st, body, tc.want, tc.code)
		}
	}
	// With a token, the bearer header guards: any name may reach the API
	// (a reverse proxy), and a cross-site page is still refused first.
	const token = "0123456789abcdef-token"
	guarded := serve(t, token)
	if st, body := post(guarded, "credmesh.example", map[string]string{"Authorization": "Bearer " + token}); st != 503 {
		t.Errorf("a name with the token: %d %s, want 503 from the backend", st, body)
	}
	if st, body := post(guarded, "", map[string]string{"Sec-Fetch-Site": "cross-site", "Authorization": "Bearer " + token}); st != 403 || !strings.Contains(body, "cross_origin") {
		t.Errorf("cross-site with the token: %d %s, want 403", st, body)
	}
}
