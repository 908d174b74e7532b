package queryproto

import (
	"errors"
	"fmt"

	"github.com/credmesh/credmesh/queryproto/querypb"
)

// Errors that name a status code. A server maps them to the code it
// answers; a client gets a *StatusError that matches them with errors.Is.
var (
	ErrNotFound     = errors.New("queryproto: not found")
	ErrBadRequest   = errors.New("queryproto: bad request")
	ErrUnauthorized = errors.New("queryproto: unauthorized")
	ErrRateLimited  = errors.New("queryproto: rate limited")
	ErrUnavailable  = errors.New("queryproto: unavailable")
	ErrInternal     = errors.New("queryproto: internal error")
)

// Errors of the client side.
var (
	// ErrTimeout: the deadline passed before the answer arrived.
	ErrTimeout = errors.New("queryproto: timed out")
	// ErrUnreachable: no stream could be opened to the peer, or it broke.
	ErrUnreachable = errors.New("queryproto: peer unreachable")
	// ErrMalformed: a message does not decode or has fields of the wrong
	// shape.
	ErrMalformed = errors.New("queryproto: malformed message")
	// ErrTooLarge: a message is over its size cap.
	ErrTooLarge = errors.New("queryproto: message over the size cap")
	// ErrVerify: an answer failed a check (signature, proof, binding to the
	// query or the order ID, order of the proofs, an answer that does not
	// decode, a record left out); the wrapped error names the check.
	ErrVerify = errors.New("queryproto: verification failed")
	// ErrConflict: records of two or more issuers under one order ID. The
	// error is a *ConflictError carrying every verified record.
	ErrConflict = errors.New("queryproto: conflict")
	// ErrForked: an issuer signed two different headers at one height, or
	// two payments under one order ID. The error is a *ForkError.
	ErrForked = errors.New("queryproto: issuer forked")
)

// StatusError is a status other than OK that a peer answered.
type StatusError struct {
	Status  querypb.Status
	Message string // the peer's explanation, untrusted
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("queryproto: peer answered %s: %q", statusName(e.Status), e.Message)
}

// Is matches the sentinel of the status (ErrNotFound for NOT_FOUND ...).
func (e *StatusError) Is(target error) bool {
	s := sentinelOf(e.Status)
	return s != nil && target == s
}

var statusSentinels = []struct {
	status querypb.Status
	err    error
}{
	{querypb.Status_STATUS_NOT_FOUND, ErrNotFound},
	{querypb.Status_STATUS_BAD_REQUEST, ErrBadRequest},
	{querypb.Status_STATUS_UNAUTHORIZED, ErrUnauthorized},
	{querypb.Status_STATUS_RATE_LIMITED, ErrRateLimited},
	{querypb.Status_STATUS_UNAVAILABLE, ErrUnavailable},
	{querypb.Status_STATUS_INTERNAL, ErrInternal},
}

func sentinelOf(s querypb.Status) error {
	for _, e := range statusSentinels {
		if e.status == s {
			return e.err
		}
	}
	return nil
}

// statusOf returns the status a server answers for err: the status of the
// sentinel it wraps, BAD_REQUEST for malformed or oversized input, and
// INTERNAL for anything else.
func statusOf(err error) querypb.Status {
	for _, e := range statusSentinels {
		if errors.Is(err, e.err) {
			return e.status
		}
	}
	if errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge) {
		return querypb.Status_STATUS_BAD_REQUEST
	}
	return querypb.Status_STATUS_INTERNAL
}

// statusName is the status without its enum prefix: "NOT_FOUND".
func statusName(s querypb.Status) string {
	const prefix = "STATUS_"
	n := s.String()
	if len(n) > len(prefix) && n[:len(prefix)] == prefix {
		return n[len(prefix):]
	}
	return n
}
