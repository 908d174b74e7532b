// Package api is a peer's local HTTP JSON API and its Prometheus metrics.
//
//	POST /v1/records                        submit records (records.Record), per-record results
//	GET  /v1/status                         peer, connections, every chain's head, sync state
//	GET  /v1/chains                         every chain's head
//	GET  /v1/chains/{issuer}/blocks/{height} one block, its entries described
//	GET  /metrics                           Prometheus metrics
//
// It listens on 127.0.0.1 by default. When a token is configured every
// request must carry "Authorization: Bearer <token>" (config.Validate makes
// a token mandatory on any non-loopback address). Errors are JSON:
// {"error": {"code": "bad_request", "message": "..."}} with a matching HTTP
// status. The peer behind the API is a Backend; package node provides it.
package api
