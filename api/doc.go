// Package api is a peer's local HTTP JSON API and its Prometheus metrics.
//
//	POST /v1/records                        submit records (records.Record), per-record results
//	GET  /v1/status                         peer, connections, every chain's head, sync state
//	GET  /v1/chains                         every chain's head
//	GET  /v1/chains/{issuer}/blocks/{height} one block, its entries described
//	GET  /v1/payments/{order_id}            a payment from the local replica, verified and opened
//	POST /v1/report                         credit report on a subject, from every member
//	GET  /v1/billing?period=YYYY-MM         queries made and served, payable, receivable, net
//	POST /v1/credit/import                  private credit events (publish: negative ones on chain)
//	POST /v1/forks/{issuer}/ack             record that an issuer's fork was investigated ({"note"})
//	GET  /metrics                           Prometheus metrics
//
// It listens on 127.0.0.1 by default. When a token is configured every
// request must carry "Authorization: Bearer <token>" (config.Validate makes
// a token mandatory on any non-loopback address). Errors are JSON:
// {"error": {"code": "bad_request", "message": "..."}} with a matching HTTP
// status. The peer behind the API is a Backend; package node provides it.
// While the peer recovers its own chain, or after sealing halted on
// evidence against its key, POST /v1/records answers 503 and
// Status.Recovery says why. Status.Forks lists the issuers proven forked;
// acknowledging one records a note locally and changes nothing else.
package api
