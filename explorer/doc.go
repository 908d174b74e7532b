// Package explorer is the web page every member serves at `/`: the
// network, the chains and their blocks, payment lookups verified in the
// browser, and credit reports, query records and billing.
//
// The page is plain HTML, CSS and JavaScript modules embedded with
// go:embed: no build step, no CDN and no third-party code, so it works on
// a closed network and what runs is what is in web/. Package api serves it
// (GET / and GET /explorer/{file}) without the API token, since a browser
// cannot send one when it opens a page and the files hold no data; every
// call the page makes to /v1 sends the token, which the operator types
// once and the page keeps in sessionStorage (gone when the tab closes).
//
// The payment lookup trusts no one but the genesis. The page fetches the
// genesis file, computes its SHA-256 and compares it with the hash the
// operator pinned (if any), derives the lookup hash and key from the
// order ID in the browser (the order ID never leaves it), fetches the raw
// proofs (GET /v1/proofs/{lookup}) and checks them as docs/PROTOCOL.md
// 11.4 asks of a light client, with WebCrypto: SHA-256, HMAC/HKDF,
// AES-256-GCM and Ed25519. Each check is shown by its protocol name
// ("proof order", "signature", "inclusion", "issuer role", "entry",
// "lookup hash", "sealed record", "evidence", ...), passing or failing.
// web/verify.js is tested against PROTOCOL.md's worked examples in a real
// browser (TestVerifierMatchesProtocolExamples).
//
// The network panel polls GET /v1/network every two seconds rather than
// holding a Server-Sent Events stream: EventSource cannot send the bearer
// token, and a poll is as fresh for a panel a person reads. Its charts of
// records accepted, blocks stored, blocks sealed and queries served
// (payment lookups and credit queries) are the differences of
// the peer's counters between polls, over the last five minutes the page
// was open (the peer keeps no history of its own).
package explorer
