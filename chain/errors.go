package chain

import "errors"

// RuleError is a validation failure. Provable failures show that the
// message is bad no matter what the validator knows (gossip rejects them and
// penalizes the sender); the others cannot be judged yet (gossip ignores
// them). Sentinels are compared with errors.Is; details are wrapped around
// them with %w.
type RuleError struct {
	msg      string
	provable bool
}

func (e *RuleError) Error() string { return e.msg }

// Provable reports whether the failure proves the message bad.
func (e *RuleError) Provable() bool { return e.provable }

func provable(msg string) *RuleError { return &RuleError{msg: "chain: " + msg, provable: true} }
func unjudged(msg string) *RuleError { return &RuleError{msg: "chain: " + msg} }

// Provable failures: the block or evidence is bad whatever we hold.
var (
	ErrMalformed     = provable("malformed encoding")
	ErrOversized     = provable("over the size limit")
	ErrWrongNetwork  = provable("wrong network")
	ErrNotMember     = provable("issuer is not a member")
	ErrBadSignature  = provable("bad signature")
	ErrBadHeader     = provable("invalid header field")
	ErrBadEntryCount = provable("entry count does not match the entries")
	ErrBadRoot       = provable("Merkle root does not match the entries")
	ErrBadEntry      = provable("invalid entry")
	ErrDuplicateKey  = provable("duplicate entry key")
	ErrTimeBackwards = provable("block time is before its parent's")
	ErrBadEvidence   = provable("invalid equivocation evidence")
)

// Failures that cannot be judged yet: the block may be fine once we know more.
var (
	ErrUnknownParent = unjudged("unknown parent")
	ErrHeightAhead   = unjudged("height ahead of our head")
	ErrKnownHeight   = unjudged("height already held")
	ErrFromFuture    = unjudged("block time is ahead of our clock")
	// ErrWrongPrevHash is a validly signed block whose previous hash is not
	// our head's: the other side of a fork, which an honest member that
	// holds the other branch forwards in good faith. It proves the issuer
	// forked only once the header it links to is in hand (NewEvidence).
	ErrWrongPrevHash = unjudged("previous hash does not match the parent")
)

// IsProvable reports whether err is, or wraps, a provable RuleError. An error
// that is no RuleError is not provable.
func IsProvable(err error) bool {
	var re *RuleError
	return errors.As(err, &re) && re.provable
}

// ErrMembershipUnsettled is a block that fails only for want of a
// membership (its issuer or a receipt's querier is not a member with the
// role at the block's time) at a time when decisions whose approvals we
// do not all hold could still change that membership. It is ignored and
// judged again once the chains are synced (package governance).
var ErrMembershipUnsettled = unjudged("membership at the block's time is not settled yet")
