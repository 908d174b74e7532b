// Package api is a peer's local HTTP JSON API and its Prometheus metrics.
//
//	POST /v1/records                        submit records (records.Record), per-record results
//	GET  /v1/status                         peer, connections, every chain's head, sync state
//	GET  /v1/chains                         every chain's head
//	GET  /v1/chains/{issuer}/blocks/{height} one block, its entries described
//	GET  /v1/payments/{order_id}            every payment under the order ID in the local replica, verified and opened
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
//
// GET /v1/payments/{order_id} answers a PaymentLookup:
//
//	{"order_id": "...", "records": [PaymentView, ...], "conflict": false}
//
// with every record under the order ID, each verified against the genesis
// and opened, sorted by issuer key; never only one. Each issuer's chain
// holds an order ID at most once, so one record is 200. Records of two or
// more issuers are a conflict: 409 with the same body, "conflict": true,
// every record, and "error": {"code": "conflict", "message": ...} naming
// the issuers; no record is to be preferred (the light client's exit
// code 5). A record whose issuer is proven forked has "forked": true. No
// record: 404 not_found; an invalid order ID: 400 bad_request.
//
// While the peer recovers its own chain, or after sealing halted on
// evidence against its key, POST /v1/records answers 503 and
// Status.Recovery says why. Status.Forks lists the issuers proven forked;
// acknowledging one (POST /v1/forks/{issuer}/ack) records a note locally
// and changes nothing else.
//
// Credit events are private credit data whichever endpoint brings them:
// POST /v1/records treats them exactly as POST /v1/credit/import with
// "publish": true — negative events (overdue, defaulted) go on the chain,
// every other kind (opened, repaid, closed) is kept in the peer's own
// store and leaves it only inside signed credit answers. Both endpoints
// refuse, per record, a record whose key was used before: an order ID, or
// an event ID whether it was kept private or published.
package api
