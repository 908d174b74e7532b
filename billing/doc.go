// Package billing computes a period's statement of credit queries from the
// query receipts on the replicated chains.
//
// Every answered credit query leaves a QueryReceipt on the answering
// member's chain, carrying the querier's signed query and the fee. For a
// period, a member's queries made are the receipts of its queries (on any
// chain but its own), and its queries served are the receipts on its own
// chain of other members' queries; payable is the sum of the fees of the
// first, receivable of the second, net = receivable − payable. A member's
// queries of itself (the part of its own report its own peer answers) are
// not billed: their receipts carry no fee and are left out of both counts.
//
// Only receipts that verify are counted, and Compute does not verify them
// again: a store holds only blocks that passed chain validation, which
// checks every receipt's querier signature over the query bytes, that the
// querier has the query role and the issuer the credit role, and that the
// fee is the genesis fee (chain.CheckReceipt), and the builder checks our
// own receipts the same way before accepting them. So nobody can be billed
// for a query it did not sign, nor at another fee; and since every peer
// holds the same chains, every peer computes the same statement, and the
// totals balance: Σ payable = Σ receivable.
//
// A receipt belongs to the period its signed query's time falls in, in
// UTC, not its block's: a receipt that waited in its issuer's pending pool
// (during recovery, or a full disk) still counts in the period of the
// query, so a statement of a past period can still grow until every
// member's pending receipts are sealed. Fees are summed per currency.
package billing
