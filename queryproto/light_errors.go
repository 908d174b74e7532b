package queryproto

import (
	"fmt"
	"strings"

	"github.com/credmesh/credmesh/chain"
	"github.com/libp2p/go-libp2p/core/peer"
)

// CheckError is a peer's answer that failed a check. It matches ErrVerify,
// and the error of the check (ErrMalformed for an answer that does not
// decode, chain.ErrBadSignature ...).
type CheckError struct {
	Peer peer.ID
	// Check names the check: "answer decoding", "proof order",
	// "inclusion proof", "issuer role", "entry", "lookup hash",
	// "sealed record", "evidence", "heads answer" or "omission".
	Check string
	Err   error
}

func (e *CheckError) Error() string {
	msg := strings.TrimPrefix(e.Err.Error(), "peer "+e.Peer.String()+": ")
	return fmt.Sprintf("%v: peer %s: check %q failed: %s", ErrVerify, e.Peer, e.Check, msg)
}

// Unwrap returns ErrVerify and the error of the check.
func (e *CheckError) Unwrap() []error { return []error{ErrVerify, e.Err} }

// ConflictError is a lookup that verified records of two or more issuers
// under one order ID. Every record is in Payments, sorted by issuer key;
// none is to be preferred. It matches ErrConflict.
type ConflictError struct {
	OrderID  string
	Payments []Payment
}

func (e *ConflictError) Error() string {
	parts := make([]string, len(e.Payments))
	for i, p := range e.Payments {
		parts[i] = fmt.Sprintf("issuer %s (block %d)", p.Issuer.Short(), p.Height)
	}
	return fmt.Sprintf("%v: %d issuers hold verified records under order ID %s: %s", ErrConflict, len(e.Payments), e.OrderID, strings.Join(parts, ", "))
}

func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Fork is an issuer a lookup found to equivocate, and the proof: two
// different headers it signed, both verified.
type Fork struct {
	Issuer chain.IssuerID
	// A and B are two headers of the issuer at one height (Evidence is
	// then set), or the headers of two blocks of its chain that both hold
	// the order ID, which a chain holds once.
	A, B     *chain.SignedHeader
	Evidence *chain.Evidence
	// ServedBy are the peers that served Evidence with their answers, in
	// the order they answered; empty when the lookup put the two headers
	// together itself from proofs and heads.
	ServedBy []peer.ID
}

func (f *Fork) String() string {
	if f.Evidence != nil {
		s := fmt.Sprintf("issuer %s signed two different headers at height %d (%.16s… and %.16s…)",
			f.Issuer.Short(), f.A.Height, f.A.Hash.String(), f.B.Hash.String())
		if len(f.ServedBy) > 0 {
			ids := make([]string, len(f.ServedBy))
			for i, p := range f.ServedBy {
				ids[i] = p.String()
			}
			s += "; evidence served by " + strings.Join(ids, ", ")
		}
		return s
	}
	return fmt.Sprintf("issuer %s signed two payments under one order ID, in block %d (%.16s…) and block %d (%.16s…)",
		f.Issuer.Short(), f.A.Height, f.A.Hash.String(), f.B.Height, f.B.Hash.String())
}

// ForkError is a lookup whose records include those of an issuer seen to
// equivocate: evidence a peer served with its answer and that verified
// (docs/PROTOCOL.md 11.4), two different signed headers at one height
// among the proofs and heads the lookup saw, or two payments under one
// order ID in one chain. Fork is the first forked issuer by issuer key;
// Forks are all of them, Fork first. Payments are every record verified,
// those of forked issuers marked Forked. It matches ErrForked.
type ForkError struct {
	Fork
	Forks    []Fork
	Payments []Payment
}

func (e *ForkError) Error() string {
	msg := fmt.Sprintf("%v: %s", ErrForked, e.Fork.String())
	if len(e.Forks) > 1 {
		msg += fmt.Sprintf(" (and %d more forked issuers)", len(e.Forks)-1)
	}
	return msg
}

func (e *ForkError) Is(target error) bool { return target == ErrForked }

// NotFoundError is a lookup in which no record verified and some peers
// answered NOT_FOUND. It matches ErrNotFound.
type NotFoundError struct {
	Peers  []peer.ID     // the peers that answered NOT_FOUND
	Failed []PeerFailure // the peers that gave no answer
}

// NotFoundWording is what a NOT_FOUND lookup means, in the spec's words.
const NotFoundWording = "the peers asked hold no such record; they may be behind"

func (e *NotFoundError) Error() string {
	ids := make([]string, len(e.Peers))
	for i, p := range e.Peers {
		ids[i] = p.String()
	}
	msg := fmt.Sprintf("%v: %s (NOT_FOUND from %s", ErrNotFound, NotFoundWording, strings.Join(ids, ", "))
	if len(e.Failed) > 0 {
		ids = ids[:0]
		for _, f := range e.Failed {
			ids = append(ids, f.Peer.String())
		}
		msg += "; no answer from " + strings.Join(ids, ", ")
	}
	return msg + ")"
}

func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// namePeer prefixes err with the peer, unless it names it already.
func namePeer(p peer.ID, err error) error {
	if strings.Contains(err.Error(), p.String()) {
		return err
	}
	return fmt.Errorf("peer %s: %w", p, err)
}
