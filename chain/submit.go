package chain

import "errors"

// Refusals of an entry submitted to the issuer's own chain, by
// chain/builder's Submit and so by every sink built on it (the query
// server's receipt sink among them). They are no validation failures
// (RuleError): the entry may be valid, but this chain will not take it
// again, or not now. They live here so that packages that hand entries to
// a sink compare with errors.Is without importing the builder.
var (
	// ErrAlreadyAccepted: an entry with this key was accepted before
	// (pending or sealed). Submitting the same entry again is harmless.
	ErrAlreadyAccepted = errors.New("chain: an entry with this key was already accepted")
	// ErrQueryIDUsed: a receipt of a query whose querier used its query ID
	// for another query this chain already holds (or pools) a receipt of;
	// a chain holds one receipt per querier and query ID.
	ErrQueryIDUsed = errors.New("chain: query ID already used: this chain holds a receipt of another query of this querier under it")
	// ErrPoolFull: the pending pool is full; retry later.
	ErrPoolFull = errors.New("chain: pending pool is full, retry later")
)
