package witness

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"google.golang.org/protobuf/proto"
)

// GossipHashPrefix is how many bytes of each head's hash a gossiped
// statement carries; receivers take the rest from the header they hold.
const GossipHashPrefix = 4

// Limits of what a witness message may hold.
const (
	// MaxMessageBytes bounds one witness topic message: a statement of
	// MaxMembers chains in gossip form, or evidence.
	MaxMessageBytes = 64 << 10
	// MaxPathLen bounds an audit path (2^32 chains).
	MaxPathLen = 32
)

// Errors of gossip decoding that are no one's fault.
var (
	// ErrUnknownHead: the statement names a head we do not hold yet.
	ErrUnknownHead = errors.New("witness: a cosigned head is not held here yet")
	// ErrOtherView: the witness cosigned a head at a height we hold with
	// another hash: the issuer showed it another block (a split view).
	ErrOtherView = errors.New("witness: a cosigned head differs from the block held here")
	// ErrUnknownBase: a statement sent as the heads that changed since the
	// witness's previous one, which is not held here.
	ErrUnknownBase = errors.New("witness: the statement this one updates is not held here")
)

// MemberOrder returns the members sorted by key bytes: the index a
// WitnessHead's member field counts in.
func MemberOrder(members chain.Members) []chain.IssuerID {
	out := make([]chain.IssuerID, 0, len(members))
	for id := range members {
		out = append(out, id)
	}
	slices.SortFunc(out, func(a, b chain.IssuerID) int { return bytes.Compare(a[:], b[:]) })
	return out
}

func indexOf(order []chain.IssuerID, iss chain.IssuerID) (uint32, bool) {
	i, ok := slices.BinarySearchFunc(order, iss, func(a, b chain.IssuerID) int { return bytes.Compare(a[:], b[:]) })
	return uint32(i), ok
}

// Proto returns the statement with hashes cut to hashBytes bytes
// (GossipHashPrefix for gossip, 32 for the store).
func (s *Statement) Proto(order []chain.IssuerID, hashBytes int) (*chainpb.CosignedHeads, error) {
	pb := &chainpb.CosignedHeads{Witness: s.Witness[:], Signature: s.Signature, Heads: make([]*chainpb.WitnessHead, len(s.Heads))}
	for i, h := range s.Heads {
		m, ok := indexOf(order, h.Issuer)
		if !ok {
			return nil, fmt.Errorf("%w: chain %s", ErrNotMember, h.Issuer.Short())
		}
		pb.Heads[i] = &chainpb.WitnessHead{Member: m, Height: h.Height, Hash: slices.Clone(h.Hash[:hashBytes])}
	}
	return pb, nil
}

// MarshalGossip returns the witness topic message of s with every head
// (the witness named by its member index).
func (s *Statement) MarshalGossip(order []chain.IssuerID) ([]byte, error) {
	return s.MarshalGossipDelta(order, nil)
}

// MarshalGossipDelta returns the witness topic message of s holding only
// the heads that differ from base, the witness's previous statement (nil:
// every head), and base's time: a receiver that holds base takes the other
// heads from it (FromProto). Heads never leave a statement (Advance keeps
// every chain), so what differs is what moved or is new.
func (s *Statement) MarshalGossipDelta(order []chain.IssuerID, base *Statement) ([]byte, error) {
	pb, err := s.Proto(order, GossipHashPrefix)
	if err != nil {
		return nil, err
	}
	wi, ok := indexOf(order, s.Witness)
	if !ok {
		return nil, fmt.Errorf("%w: witness %s", ErrNotMember, s.Witness.Short())
	}
	pb.Witness, pb.WitnessMember = nil, &wi
	if base != nil && base.Witness == s.Witness && base.Time().Before(s.Time()) {
		kept := pb.Heads[:0]
		for i, h := range s.Heads {
			if bh, _, ok := base.HeadOf(h.Issuer); !ok || bh != h {
				kept = append(kept, pb.Heads[i])
			}
		}
		pb.Heads, pb.BaseTime = kept, uint64(base.Time().Unix())
	}
	return proto.Marshal(&chainpb.WitnessMessage{Body: &chainpb.WitnessMessage_Cosigned{Cosigned: pb}})
}

// MarshalStored returns the stored form of s, with whole hashes.
func (s *Statement) MarshalStored(order []chain.IssuerID) ([]byte, error) {
	pb, err := s.Proto(order, 32)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(pb)
}

// FromProto decodes a statement. Heads whose hash has fewer than 32 bytes
// are completed by held, which returns the hash of the block a chain has
// at a height (false if none): a missing one is ErrUnknownHead, one that
// does not start with the prefix ErrOtherView. A statement with a base
// time takes its other heads from base(witness), the witness's newest
// statement held (nil if none): one that is missing or of another time is
// ErrUnknownBase. The signature is not checked (Statement.Verify).
func FromProto(pb *chainpb.CosignedHeads, order []chain.IssuerID, held func(chain.IssuerID, uint64) (chain.Hash, bool)) (*Statement, error) {
	return fromProto(pb, order, held, nil)
}

func fromProto(pb *chainpb.CosignedHeads, order []chain.IssuerID, held func(chain.IssuerID, uint64) (chain.Hash, bool), base func(chain.IssuerID) *Statement) (*Statement, error) {
	var w chain.IssuerID
	switch {
	case len(pb.Witness) == 32 && pb.WitnessMember == nil:
		w = chain.IssuerID(pb.Witness)
	case len(pb.Witness) == 0 && pb.WitnessMember != nil && int(*pb.WitnessMember) < len(order):
		w = order[*pb.WitnessMember]
	default:
		return nil, fmt.Errorf("%w: witness has %d bytes and member index %v", ErrMalformed, len(pb.Witness), pb.WitnessMember != nil)
	}
	if len(pb.Heads) == 0 && pb.BaseTime == 0 || len(pb.Heads) > len(order) {
		return nil, fmt.Errorf("%w: %d heads of %d members", ErrMalformed, len(pb.Heads), len(order))
	}
	s := &Statement{Witness: w, Signature: pb.Signature, Heads: make([]Head, len(pb.Heads))}
	var unknown, other error
	for i, h := range pb.Heads {
		if int(h.Member) >= len(order) || i > 0 && h.Member <= pb.Heads[i-1].Member {
			return nil, fmt.Errorf("%w: head %d: member %d out of order or range", ErrMalformed, i, h.Member)
		}
		if h.Height == 0 {
			return nil, fmt.Errorf("%w: head %d at height 0", ErrMalformed, i)
		}
		head := Head{Issuer: order[h.Member], Height: h.Height}
		switch {
		case len(h.Hash) == 32:
			copy(head.Hash[:], h.Hash)
		case len(h.Hash) == GossipHashPrefix && held != nil:
			full, ok := held(head.Issuer, h.Height)
			switch {
			case !ok:
				unknown = fmt.Errorf("%w: %s at %d", ErrUnknownHead, head.Issuer.Short(), h.Height)
			case !bytes.Equal(full[:GossipHashPrefix], h.Hash):
				other = fmt.Errorf("%w: %s at %d", ErrOtherView, head.Issuer.Short(), h.Height)
			}
			head.Hash = full
		default:
			return nil, fmt.Errorf("%w: head %d: hash of %d bytes", ErrMalformed, i, len(h.Hash))
		}
		s.Heads[i] = head
	}
	if pb.BaseTime != 0 {
		var b *Statement
		if base != nil {
			b = base(w)
		}
		if b == nil || uint64(b.Time().Unix()) != pb.BaseTime || b.Witness != w {
			return s, fmt.Errorf("%w: %s's statement of %d", ErrUnknownBase, w.Short(), pb.BaseTime)
		}
		s.Heads = mergeHeads(b.Heads, s.Heads)
	}
	if other != nil {
		return s, other
	}
	if unknown != nil {
		return s, unknown
	}
	return s, nil
}

// mergeHeads returns base with each of changed (sorted) in its chain's
// place, sorted.
func mergeHeads(base, changed []Head) []Head {
	out := make([]Head, 0, len(base)+len(changed))
	i, j := 0, 0
	for i < len(base) || j < len(changed) {
		switch {
		case j == len(changed):
			out, i = append(out, base[i]), i+1
		case i == len(base):
			out, j = append(out, changed[j]), j+1
		default:
			switch c := compareHeads(base[i], changed[j]); {
			case c < 0:
				out, i = append(out, base[i]), i+1
			case c > 0:
				out, j = append(out, changed[j]), j+1
			default:
				out, i, j = append(out, changed[j]), i+1, j+1
			}
		}
	}
	return out
}

// UnmarshalStored decodes the stored form of a statement.
func UnmarshalStored(data []byte, order []chain.IssuerID) (*Statement, error) {
	var pb chainpb.CosignedHeads
	if err := proto.Unmarshal(data, &pb); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return FromProto(&pb, order, nil)
}

// CosignatureProto returns the wire form of c.
func (c *Cosignature) Proto() *chainpb.HeadCosignature {
	pb := &chainpb.HeadCosignature{Witness: c.Witness[:], Signature: c.Signature, TreeSize: c.TreeSize, Index: c.Index,
		Height: c.Head.Height, Hash: c.Head.Hash[:], Path: make([][]byte, len(c.Path))}
	for i, p := range c.Path {
		pb.Path[i] = p[:]
	}
	return pb
}

// CosignatureFromProto decodes the cosignature of chain iss; Verify checks
// it.
func CosignatureFromProto(pb *chainpb.HeadCosignature, iss chain.IssuerID) (Cosignature, error) {
	if pb == nil || len(pb.Witness) != 32 || len(pb.Hash) != 32 || len(pb.Path) > MaxPathLen {
		return Cosignature{}, fmt.Errorf("%w: cosignature fields", ErrMalformed)
	}
	c := Cosignature{Witness: chain.IssuerID(pb.Witness), Head: Head{Issuer: iss, Height: pb.Height, Hash: chain.Hash(pb.Hash)},
		TreeSize: pb.TreeSize, Index: pb.Index, Signature: pb.Signature, Path: make([]chain.Hash, len(pb.Path))}
	for i, p := range pb.Path {
		if len(p) != 32 {
			return Cosignature{}, fmt.Errorf("%w: path node %d has %d bytes", ErrMalformed, i, len(p))
		}
		c.Path[i] = chain.Hash(p)
	}
	return c, nil
}

// Proto returns the wire form of the evidence.
func (ev *Evidence) Proto() *chainpb.WitnessEvidence {
	return &chainpb.WitnessEvidence{Issuer: ev.A.Head.Issuer[:], A: ev.A.Proto(), B: ev.B.Proto()}
}

// Marshal returns the witness topic message of the evidence.
func (ev *Evidence) Marshal() []byte {
	b, err := proto.Marshal(&chainpb.WitnessMessage{Body: &chainpb.WitnessMessage_Evidence{Evidence: ev.Proto()}})
	if err != nil {
		panic(err)
	}
	return b
}

// EvidenceFromProto decodes evidence; Verify checks it.
func EvidenceFromProto(pb *chainpb.WitnessEvidence) (*Evidence, error) {
	if len(pb.Issuer) != 32 {
		return nil, fmt.Errorf("%w: evidence issuer", ErrMalformed)
	}
	iss := chain.IssuerID(pb.Issuer)
	a, err := CosignatureFromProto(pb.A, iss)
	if err != nil {
		return nil, err
	}
	b, err := CosignatureFromProto(pb.B, iss)
	if err != nil {
		return nil, err
	}
	return &Evidence{A: a, B: b}, nil
}

// DecodeMessage decodes one witness topic message: a statement in gossip
// form (completed by held) or evidence. Exactly one result is non-nil
// unless err is; a statement may come with ErrUnknownHead or ErrOtherView.
// A statement sent as changes to a previous one is ErrUnknownBase: use
// DecodeMessageWith.
func DecodeMessage(data []byte, order []chain.IssuerID, held func(chain.IssuerID, uint64) (chain.Hash, bool)) (*Statement, *Evidence, error) {
	return DecodeMessageWith(data, order, held, nil)
}

// DecodeMessageWith is DecodeMessage with base, which returns the newest
// statement held of a witness (nil if none): a statement sent as changes
// to it takes its other heads from it.
func DecodeMessageWith(data []byte, order []chain.IssuerID, held func(chain.IssuerID, uint64) (chain.Hash, bool), base func(chain.IssuerID) *Statement) (*Statement, *Evidence, error) {
	if len(data) > MaxMessageBytes {
		return nil, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(data), MaxMessageBytes)
	}
	var m chainpb.WitnessMessage
	if err := proto.Unmarshal(data, &m); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	switch b := m.Body.(type) {
	case *chainpb.WitnessMessage_Cosigned:
		s, err := fromProto(b.Cosigned, order, held, base)
		return s, nil, err
	case *chainpb.WitnessMessage_Evidence:
		ev, err := EvidenceFromProto(b.Evidence)
		return nil, ev, err
	}
	return nil, nil, fmt.Errorf("%w: empty message", ErrMalformed)
}
