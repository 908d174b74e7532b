package explorer_test

import (
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/explorer"
)

// protocolExamples reads the key: value lines of PROTOCOL.md's example
// blocks (section 14).
func protocolExamples(t *testing.T) map[string]string {
	t.Helper()
	doc, err := os.ReadFile("../docs/PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	ex := map[string]string{}
	for _, m := range regexp.MustCompile("(?s)```example\n(.*?)```").FindAllStringSubmatch(string(doc), -1) {
		for _, line := range strings.Split(strings.TrimSpace(m[1]), "\n") {
			k, v, ok := strings.Cut(line, ": ")
			if ok {
				ex[k] = v
			}
		}
	}
	if len(ex) < 40 {
		t.Fatalf("found only %d example values in PROTOCOL.md", len(ex))
	}
	return ex
}

// The browser's verifier (web/verify.js) recomputes every value of
// PROTOCOL.md's worked examples it can: lookup hash, key and AAD, the
// sealed record opened, the Merkle tree and audit paths, the header's
// hash and signature, the peer ID's key and the secret's fingerprint.
func TestVerifierMatchesProtocolExamples(t *testing.T) {
	ex := protocolExamples(t)
	mux := http.NewServeMux()
	mux.Handle("/explorer/", explorer.Handler(false))
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	base := serve(t, mux)
	ctx, console := browser(t, 1280, 800)
	var got map[string]any
	var currencies, shown []string
	offsets := []string{"2026-10-15T09:30:00+08:00", "2026-10-15T09:30:00-05:30", "2026-10-15T01:30:00Z"}
	var ms, mins []int64
	for _, s := range offsets {
		at, _ := time.Parse(time.RFC3339, s)
		_, off := at.Zone()
		ms, mins = append(ms, at.UnixMilli()), append(mins, int64(off/60))
	}
	run(t, ctx, "computing the examples",
		chromedp.Navigate(base+"/explorer/config.json"),
		evaluate(`import('/explorer/verify.js').then(m => m.protocolExamples(`+jsonOf(t, ex)+`))`, &got),
		evaluate(`import('/explorer/currencies.js').then(m => [...m.CURRENCIES])`, &currencies),
		evaluate(`import('/explorer/verify.js').then(m => `+jsonOf(t, ms)+`.map((ms, i) => m.inOffset(ms, `+jsonOf(t, mins)+`[i])))`, &shown))
	if !slices.Equal(shown, offsets) {
		t.Errorf("the browser shows paid_at as %q, submitted as %q", shown, offsets)
	}
	for _, k := range []string{"prk", "lookup", "payment_key", "issuer", "peer_id_bytes", "aad", "nonce", "ciphertext", "entry_key",
		"payment_record", "leaf_0", "leaf_1", "leaf_2", "node_01", "root_3", "path_0", "path_2", "block_hash", "subject_secret_fingerprint"} {
		if got[k] != ex[k] {
			t.Errorf("%s: the browser computes %v, PROTOCOL.md says %s", k, got[k], ex[k])
		}
	}
	for k, want := range map[string]any{
		"header_root": ex["root_3"], "header_problem": "well formed", "record_valid": "valid",
		"header_signature_valid": true, "flipped_signature_valid": false, "inclusion_wrong_index": false,
		"inclusion": []any{true, true, true},
	} {
		if !equalJSON(got[k], want) {
			t.Errorf("%s: the browser says %v, want %v", k, got[k], want)
		}
	}
	if want := chain.Currencies(); !slices.Equal(currencies, want) {
		t.Errorf("web/currencies.js holds %d codes, chain.Currencies %d: they differ", len(currencies), len(want))
	}
	console.check(t)
}
