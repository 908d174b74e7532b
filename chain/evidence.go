package chain

import (
	"fmt"

	"github.com/credmesh/credmesh/chain/chainpb"
	"google.golang.org/protobuf/proto"
)

// Evidence proves that an issuer signed two different headers at one
// height: its chain forked, and every peer marks it as such.
type Evidence struct {
	A, B *SignedHeader
}

// NewEvidence returns evidence if a and b are two different headers of one
// issuer at one height, and nil otherwise. The signatures are not checked
// here; Verify does that.
func NewEvidence(a, b *SignedHeader) *Evidence {
	if a.Issuer != b.Issuer || a.Height != b.Height || a.Hash == b.Hash {
		return nil
	}
	// Order the pair so that both detectors gossip the same bytes.
	if string(b.Hash[:]) < string(a.Hash[:]) {
		a, b = b, a
	}
	return &Evidence{A: a, B: b}
}

// Verify checks that the evidence is two validly signed, different headers
// of one member at one height of this network.
func (ev *Evidence) Verify(members Members, networkID string) error {
	a, b := ev.A, ev.B
	switch {
	case a == nil || b == nil:
		return fmt.Errorf("%w: a header is missing", ErrBadEvidence)
	case a.Issuer != b.Issuer:
		return fmt.Errorf("%w: headers of two issuers", ErrBadEvidence)
	case a.Height != b.Height:
		return fmt.Errorf("%w: headers at heights %d and %d", ErrBadEvidence, a.Height, b.Height)
	case a.Hash == b.Hash:
		return fmt.Errorf("%w: the same header twice", ErrBadEvidence)
	case a.NetworkID != networkID || b.NetworkID != networkID:
		return fmt.Errorf("%w: %w", ErrBadEvidence, ErrWrongNetwork)
	case !members.Contains(a.Issuer):
		return fmt.Errorf("%w: %w: %s", ErrBadEvidence, ErrNotMember, a.Issuer.Short())
	}
	if err := a.VerifySignature(); err != nil {
		return fmt.Errorf("%w: first header: %w", ErrBadEvidence, err)
	}
	if err := b.VerifySignature(); err != nil {
		return fmt.Errorf("%w: second header: %w", ErrBadEvidence, err)
	}
	return nil
}

// MaxEvidenceBytes bounds encoded evidence: two headers and signatures.
const MaxEvidenceBytes = 2048

// Proto returns the wire form of the evidence.
func (ev *Evidence) Proto() *chainpb.Evidence {
	return &chainpb.Evidence{A: ev.A.Proto(), B: ev.B.Proto()}
}

// Marshal returns the encoded chainpb.Evidence.
func (ev *Evidence) Marshal() []byte {
	b, err := proto.Marshal(ev.Proto())
	if err != nil {
		panic(err)
	}
	return b
}

// DecodeEvidence decodes encoded evidence; Verify checks it.
func DecodeEvidence(data []byte) (*Evidence, error) {
	if len(data) > MaxEvidenceBytes {
		return nil, fmt.Errorf("%w: evidence of %d bytes, limit %d", ErrOversized, len(data), MaxEvidenceBytes)
	}
	var pb chainpb.Evidence
	if err := proto.Unmarshal(data, &pb); err != nil {
		return nil, fmt.Errorf("%w: evidence: %v", ErrMalformed, err)
	}
	return evidenceOf(&pb)
}

// EvidenceFromProto is DecodeEvidence of evidence that arrived decoded
// inside another message (a status, a payment answer): the same size cap,
// two headers that decode. It verifies nothing.
func EvidenceFromProto(pb *chainpb.Evidence) (*Evidence, error) {
	if n := proto.Size(pb); n > MaxEvidenceBytes {
		return nil, fmt.Errorf("%w: evidence of %d bytes, limit %d", ErrOversized, n, MaxEvidenceBytes)
	}
	return evidenceOf(pb)
}

// evidenceOf decodes the two signed headers of pb.
func evidenceOf(pb *chainpb.Evidence) (*Evidence, error) {
	if pb.A == nil || pb.B == nil {
		return nil, fmt.Errorf("%w: evidence needs two headers", ErrMalformed)
	}
	a, err := DecodeSignedHeader(pb.A.Header, pb.A.Signature)
	if err != nil {
		return nil, fmt.Errorf("first header: %w", err)
	}
	b, err := DecodeSignedHeader(pb.B.Header, pb.B.Signature)
	if err != nil {
		return nil, fmt.Errorf("second header: %w", err)
	}
	return &Evidence{A: a, B: b}, nil
}
