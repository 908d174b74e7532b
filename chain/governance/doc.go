// Package governance computes a network's membership over time from its
// genesis and the decision entries on its members' chains, without a new
// genesis and without an ordering service. Like package chain it is pure:
// no I/O, no clock; times are arguments.
//
// A member proposes a change (admit a member, remove one, replace a
// member's key, set a parameter) with a chainpb.Proposal entry on its own
// chain, naming an activation time at least the activation delay after
// its block. Other members approve with chainpb.Approval entries on
// theirs; the proposal counts as its proposer's approval. The proposal
// takes effect at its activation time A if, at A, at least the threshold
// of the members then in force (the epoch just before A) approved it in
// blocks whose time is before A. Approvals in blocks at or after A never
// count, and neither do those of members no longer in force at A.
//
// Every peer applies the same rule to the same chains, so every peer that
// holds the same chains computes the same epochs. A peer computes from
// what it holds: Compute returns the epochs those chains imply, and
// Settled says whether chains it does not hold in full could still change
// the membership at a time (an approver whose newest block we hold is
// older than a pending activation). A caller judging a block treats a
// membership failure at an unsettled time as "cannot judge yet", never as
// proof.
//
// Use:
//
//  1. g := governance.Genesis{Time: ..., Members: ..., Params: ...}
//  2. l := governance.NewLog(); for every block held, l.AddBlock(vb) (or
//     l.Add for one decision entry and l.SetHead for the chain's newest
//     block time).
//  3. h := governance.Compute(g, l); h.At(t) is the epoch in force at t;
//     h.Outcomes() says what became of every proposal.
//
// View wraps a Log and its History for concurrent use by a running peer.
//
// Order and races. Proposals are applied in order of activation time, then
// proposer key, then proposal ID. Each is judged against the membership
// in force when its turn comes, so of two conflicting proposals (two
// removals of one member, a removal and a rotation of one key, two
// admissions of one key) the first in that order that passes takes effect
// and the other is void. A key that was removed or rotated away is retired
// and never admitted again, so a removed chain never grows back.
package governance
