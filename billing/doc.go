// Package billing computes a period's statement of credit queries from the
// query receipts on the replicated chains.
//
// Every answered credit query leaves a QueryReceipt on the answering
// member's chain, naming the querier and the fee. For a period, a member's
// queries made are the receipts naming it as querier (on any chain), and
// its queries served are the receipts on its own chain; payable is the sum
// of the fees of the first, receivable of the second, net = receivable −
// payable. Since every peer holds the same chains, every peer computes the
// same statement, and the totals balance: Σ payable = Σ receivable.
//
// A receipt belongs to the period its query's time (queried_at) falls in,
// in UTC. Fees are summed per currency.
package billing
