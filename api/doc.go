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
// Status.Recovery says why.
//
// Credit events are private credit data whichever endpoint brings them:
// POST /v1/records treats them exactly as POST /v1/credit/import with
// "publish": true — negative events (overdue, defaulted) go on the chain,
// every other kind (opened, repaid, closed) is kept in the peer's own
// store and leaves it only inside signed credit answers. Both endpoints
// refuse, per record, a record whose key was used before: an order ID, or
// an event ID whether it was kept private or published.
//
// Roles (the genesis's): POST /v1/records refuses, per record, a record
// outside this member's roles — a payment needs the payments role, a credit
// event the credit role — with the reason ("payments are written only by
// members with the payments role; this member has credit,query"); the
// other records of the batch are judged on their own. POST /v1/report asks
// the members with the credit role only, and answers 403 (forbidden) on a
// member without the query role, before anyone is asked, and 503 when no
// member has the credit role.
package api
