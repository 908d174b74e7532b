// Package api is a peer's local HTTP JSON API and its Prometheus metrics.
//
// docs/openapi.yaml is the normative description of every endpoint: request
// and response JSON, status codes and error codes, the body and batch
// limits (MaxSubmitBytes, MaxSubmitRecords: 413 beyond them) and the bearer
// token. Tests run the API of real peers against it, and compare its
// operations with the routes Listen registers, so the two cannot drift.
//
// The server listens on 127.0.0.1 by default; config.Validate makes a token
// mandatory on any other address. The peer behind the API is a Backend;
// package node provides it. A browser cannot be made to write through it
// from another site (browsers.go): cross-origin requests are refused, and
// with no token so is any Host but an IP address or localhost.
//
// GET / and GET /explorer/{file} serve the explorer page (package
// explorer) without the token, since a browser opening a page cannot send
// one and the files hold no data; the read-only endpoints the page uses
// (explorer.go) take it like every other. They ask the Backend for the
// optional Explorer interface, so a Backend without it still serves the
// rest of the API.
//
// Status.Forks lists the issuers proven forked; acknowledging one (POST
// /v1/forks/{issuer}/ack) records a note locally and changes nothing else.
//
// Roles are the genesis's, as membership decisions change them: POST
// /v1/records refuses, per record, a record outside this member's roles,
// with the reason; POST /v1/report asks the members with the credit role
// only, and answers 403 on a member without the query role.
//
// GET /v1/membership, POST /v1/membership/proposals and POST
// /v1/membership/proposals/{id}/approve (membership.go) show and write
// membership decisions (docs/PROTOCOL.md 18); they ask the Backend for the
// optional MembershipBackend interface, as the explorer's endpoints do.
//
// GET /healthz (alive) and GET /readyz (own chain sealing, in sync, disk
// and store fine; Readiness) are answered without the token: probes and
// load balancers seldom carry secrets, and the answer tells only whether
// the peer is alive and ready.
package api
