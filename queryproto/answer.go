package queryproto

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"google.golang.org/protobuf/proto"
)

// AnswerSigningDomain prefixes the encoded CreditAnswer a responder signs.
const AnswerSigningDomain = "credmesh/v1/credit-answer\x00"

// CreditAnswer is a responder's reply to one credit query, before signing.
type CreditAnswer struct {
	NetworkID string
	Responder chain.IssuerID
	QueryHash [32]byte // SignedQuery.Hash of the query answered
	Time      time.Time
	// Records are the responder's own chain entries about the subject
	// (credit events and corrections of them), each with its inclusion
	// proof.
	Records []*chain.Proof
	// Private are encoded chainpb.Entry credit events the responder keeps
	// off-chain.
	Private     [][]byte
	FeeMinor    uint64
	FeeCurrency string
	// Truncated says records were left out to fit MaxResponseBytes.
	Truncated bool
}

// SignedAnswer is a credit answer with the exact bytes its responder
// signed.
type SignedAnswer struct {
	CreditAnswer
	Raw       []byte // encoded querypb.CreditAnswer, as signed
	Signature []byte
}

// SignAnswer encodes a and signs it with key, whose public half must be the
// responder.
func SignAnswer(a CreditAnswer, key ed25519.PrivateKey) (*SignedAnswer, error) {
	if len(key) != ed25519.PrivateKeySize || chain.IssuerOf(key.Public().(ed25519.PublicKey)) != a.Responder {
		return nil, fmt.Errorf("queryproto: the signing key is not the responder's")
	}
	pb := &querypb.CreditAnswer{
		NetworkId:      a.NetworkID,
		Responder:      a.Responder[:],
		QueryHash:      a.QueryHash[:],
		TimeMs:         a.Time.UnixMilli(),
		Records:        make([]*querypb.Proof, len(a.Records)),
		PrivateRecords: a.Private,
		FeeMinor:       a.FeeMinor,
		FeeCurrency:    a.FeeCurrency,
		Truncated:      a.Truncated,
	}
	for i, p := range a.Records {
		pb.Records[i] = proofToPB(p)
	}
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(pb)
	if err != nil {
		return nil, fmt.Errorf("queryproto: encoding a credit answer: %w", err)
	}
	a.Time = time.UnixMilli(a.Time.UnixMilli())
	return &SignedAnswer{CreditAnswer: a, Raw: raw, Signature: ed25519.Sign(key, domainBytes(AnswerSigningDomain, raw))}, nil
}

// DecodeSignedAnswer decodes the answer inside raw strictly
// (chain.UnmarshalStrict) and checks its fields' shapes, not the signature
// or the proofs (Verify does).
func DecodeSignedAnswer(raw, signature []byte) (*SignedAnswer, error) {
	if len(raw) > MaxResponseBytes {
		return nil, fmt.Errorf("%w: credit answer of %d bytes", ErrTooLarge, len(raw))
	}
	var pb querypb.CreditAnswer
	if err := chain.UnmarshalStrict(raw, &pb); err != nil { // signed
		return nil, fmt.Errorf("%w: credit answer: %v", ErrMalformed, err)
	}
	switch {
	case len(pb.Responder) != len(chain.IssuerID{}):
		return nil, fmt.Errorf("%w: responder has %d bytes, want 32", ErrMalformed, len(pb.Responder))
	case len(pb.QueryHash) != 32:
		return nil, fmt.Errorf("%w: query_hash has %d bytes, want 32", ErrMalformed, len(pb.QueryHash))
	case len(signature) != ed25519.SignatureSize:
		return nil, fmt.Errorf("%w: signature has %d bytes, want 64", ErrMalformed, len(signature))
	}
	a := &SignedAnswer{
		CreditAnswer: CreditAnswer{
			NetworkID:   pb.NetworkId,
			Responder:   chain.IssuerID(pb.Responder),
			QueryHash:   [32]byte(pb.QueryHash),
			Time:        time.UnixMilli(pb.TimeMs),
			Records:     make([]*chain.Proof, len(pb.Records)),
			Private:     pb.PrivateRecords,
			FeeMinor:    pb.FeeMinor,
			FeeCurrency: pb.FeeCurrency,
			Truncated:   pb.Truncated,
		},
		Raw:       raw,
		Signature: signature,
	}
	for i, p := range pb.Records {
		pr, err := proofFromPB(p)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		a.Records[i] = pr
	}
	for i, e := range pb.PrivateRecords {
		if len(e) == 0 || len(e) > maxEntryBytes {
			return nil, fmt.Errorf("%w: private record %d of %d bytes", ErrMalformed, i, len(e))
		}
	}
	return a, nil
}

// Proto returns the wire form of the signed answer.
func (a *SignedAnswer) Proto() *querypb.SignedCreditAnswer {
	return &querypb.SignedCreditAnswer{Answer: a.Raw, Signature: a.Signature}
}

// Verify checks everything a querier must before using an answer from
// responder to query q: the responder named inside, its signature, the
// network, the binding to q's hash, and every record: its inclusion proof
// against the members, that it sits on the responder's own chain, and that
// it is a credit record about q's subject; every private record must be a
// valid credit event about the subject. Errors wrap ErrVerify and name the
// check that failed.
func (a *SignedAnswer) Verify(q *SignedQuery, responder chain.IssuerID, members chain.Members) error {
	if a.Responder != responder {
		return fmt.Errorf("%w: answer names responder %s, asked %s", ErrVerify, a.Responder.Short(), responder.Short())
	}
	if len(a.Signature) != ed25519.SignatureSize ||
		!ed25519.Verify(responder[:], domainBytes(AnswerSigningDomain, a.Raw), a.Signature) {
		return fmt.Errorf("%w: responder signature", ErrVerify)
	}
	if a.NetworkID != q.NetworkID {
		return fmt.Errorf("%w: answer is for network %q", ErrVerify, a.NetworkID)
	}
	if a.QueryHash != q.Hash {
		return fmt.Errorf("%w: answer is bound to another query", ErrVerify)
	}
	if (len(a.Records) > 0 || len(a.Private) > 0) && !members.Has(responder, chain.RoleCredit) {
		return fmt.Errorf("%w: responder role: %s has no credit role, so no credit record of it is valid (PROTOCOL.md 16)", ErrVerify, responder.Short())
	}
	seen := make(map[[2]uint64]struct{}, len(a.Records))
	for i, p := range a.Records {
		if err := p.Verify(members, q.NetworkID); err != nil {
			return fmt.Errorf("%w: record %d: inclusion proof: %w", ErrVerify, i, err)
		}
		if p.Header.Issuer != responder {
			return fmt.Errorf("%w: record %d is on %s's chain, not the responder's", ErrVerify, i, p.Header.Issuer.Short())
		}
		pos := [2]uint64{p.Header.Height, uint64(p.Index)}
		if _, dup := seen[pos]; dup {
			return fmt.Errorf("%w: record %d repeats an earlier one", ErrVerify, i)
		}
		seen[pos] = struct{}{}
		e, err := chain.DecodeEntry(p.Entry, maxEntryBytes)
		if err != nil {
			return fmt.Errorf("%w: record %d: entry: %w", ErrVerify, i, err)
		}
		if err := aboutSubject(e, q.Subject[:]); err != nil {
			return fmt.Errorf("%w: record %d: %v", ErrVerify, i, err)
		}
	}
	for i, data := range a.Private {
		e, err := chain.DecodeEntry(data, maxEntryBytes)
		if err != nil {
			return fmt.Errorf("%w: private record %d: %w", ErrVerify, i, err)
		}
		c := e.GetCreditEvent()
		if c == nil {
			return fmt.Errorf("%w: private record %d is not a credit event", ErrVerify, i)
		}
		if !bytes.Equal(c.SubjectRef, q.Subject[:]) {
			return fmt.Errorf("%w: private record %d is about another subject", ErrVerify, i)
		}
	}
	return nil
}

// aboutSubject accepts a credit event about subject, or a correction of a
// credit event: a replacement about subject, or a withdrawal.
func aboutSubject(e *chainpb.Entry, subject []byte) error {
	switch b := e.Body.(type) {
	case *chainpb.Entry_CreditEvent:
		if !bytes.Equal(b.CreditEvent.SubjectRef, subject) {
			return fmt.Errorf("credit event about another subject")
		}
		return nil
	case *chainpb.Entry_Correction:
		c := b.Correction
		if len(c.TargetKey) == 0 || c.TargetKey[0] != chain.KeyCreditEvent {
			return fmt.Errorf("correction of an entry that is not a credit event")
		}
		if r := c.Replacement.GetCreditEvent(); r != nil && !bytes.Equal(r.SubjectRef, subject) {
			return fmt.Errorf("correction replaces with a credit event about another subject")
		}
		return nil
	}
	return fmt.Errorf("entry is not a credit record")
}
