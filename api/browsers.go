package api

import (
	"net"
	"net/http"
	"strings"
)

// A peer's API is on loopback by default, and with no api.token anything
// on the machine may call it, including a browser at a hostile page the
// operator happens to open. Two guards keep such a page from writing
// (submitting records, asking billed credit reports, acknowledging forks):
//
//   - net/http's CrossOriginProtection refuses a state-changing request a
//     browser marks as coming from another origin (Sec-Fetch-Site, else
//     Origin against Host); requests without those headers (curl, the CLI,
//     scripts) and the explorer's own same-origin calls pass.
//   - With no token, the Host header must be an IP address or localhost,
//     which a DNS-rebinding page (its own name resolving to 127.0.0.1, so
//     same-origin to the browser) never sends. With a token the bearer
//     header, which no page can make a browser send, is the guard, and a
//     reverse proxy may use any name.

// forBrowsers wraps next with the guards above.
func (s *Server) forBrowsers(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, "cross_origin", "a browser sent this from another origin: the API takes writes only from its own page or from clients that are not browsers")
	}))
	guarded := cop.Handler(next)
	if s.token != "" {
		return guarded
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !literalHost(r.Host) {
			writeError(w, http.StatusForbidden, "host", "with no api.token the API answers only requests for an IP address or localhost, not "+r.Host+": set api.token to reach it by name")
			return
		}
		guarded.ServeHTTP(w, r)
	})
}

// literalHost reports whether host (with or without a port) is an IP
// address or localhost.
func literalHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "localhost" {
		return true
	}
	return net.ParseIP(host) != nil
}
