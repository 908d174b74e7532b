package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/merkle"
	"google.golang.org/protobuf/proto"
)

// Hash is a block hash or Merkle root.
type Hash = merkle.Hash

// IssuerID is an institution's Ed25519 public key; its libp2p peer ID is
// derived from it.
type IssuerID [ed25519.PublicKeySize]byte

// String returns the key in hex.
func (id IssuerID) String() string { return hex.EncodeToString(id[:]) }

// Short returns the first 8 hex digits, for logs.
func (id IssuerID) Short() string { return hex.EncodeToString(id[:4]) }

// IssuerOf returns the issuer ID of a public key.
func IssuerOf(pub ed25519.PublicKey) IssuerID { return IssuerID(pub) }

// HeaderSigningDomain prefixes the header bytes an issuer signs.
const HeaderSigningDomain = "credmesh/v1/header\x00"

// Header is a decoded block header.
type Header struct {
	NetworkID   string
	Issuer      IssuerID
	Height      uint64
	PrevHash    Hash // zero at height 1
	Time        time.Time
	EntryCount  uint32
	EntriesRoot Hash
	// HistoryRoot is the RFC 6962 root over the hashes of the chain's
	// blocks 1..Height-1 (see History); zero at height 1.
	HistoryRoot Hash
}

// SignedHeader is a header with the exact bytes its issuer signed.
type SignedHeader struct {
	Header
	Raw       []byte // encoded chainpb.Header, as signed and hashed
	Signature []byte
	Hash      Hash // SHA-256(Raw)
	// History is the chain's history through this block (Size = Height),
	// from which the next block's HistoryRoot follows. It is derived, not
	// shipped: SealBlock, a successful ValidateBlock, WithHistory and the
	// store set it;
	// a header decoded from the wire has none, and ValidateBlock refuses a
	// parent without it.
	History *History
}

// encode returns the deterministic protobuf encoding of h.
func (h *Header) encode() ([]byte, error) {
	pb := &chainpb.Header{
		NetworkId:   h.NetworkID,
		Issuer:      h.Issuer[:],
		Height:      h.Height,
		TimeMs:      h.Time.UnixMilli(),
		EntryCount:  h.EntryCount,
		EntriesRoot: h.EntriesRoot[:],
	}
	if h.Height > 1 {
		pb.PrevHash = h.PrevHash[:]
		pb.HistoryRoot = h.HistoryRoot[:]
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(pb)
}

// SignHeader encodes h and signs it with key, whose public half must be h's
// issuer.
func SignHeader(h Header, key ed25519.PrivateKey) (*SignedHeader, error) {
	if IssuerOf(key.Public().(ed25519.PublicKey)) != h.Issuer {
		return nil, fmt.Errorf("chain: signing key is not the header's issuer %s", h.Issuer.Short())
	}
	raw, err := h.encode()
	if err != nil {
		return nil, fmt.Errorf("chain: encoding header: %w", err)
	}
	h.Time = time.UnixMilli(h.Time.UnixMilli())
	return &SignedHeader{
		Header:    h,
		Raw:       raw,
		Signature: ed25519.Sign(key, signingBytes(raw)),
		Hash:      sha256.Sum256(raw),
	}, nil
}

func signingBytes(raw []byte) []byte {
	msg := make([]byte, 0, len(HeaderSigningDomain)+len(raw))
	msg = append(msg, HeaderSigningDomain...)
	return append(msg, raw...)
}

// VerifySignature checks the issuer's signature over the raw header bytes.
func (s *SignedHeader) VerifySignature() error {
	if len(s.Signature) != ed25519.SignatureSize {
		return fmt.Errorf("%w: %d bytes, want %d", ErrBadSignature, len(s.Signature), ed25519.SignatureSize)
	}
	if !ed25519.Verify(s.Issuer[:], signingBytes(s.Raw), s.Signature) {
		return ErrBadSignature
	}
	return nil
}

// DecodeSignedHeader decodes the header inside raw strictly
// (UnmarshalStrict) and computes its hash. It checks field shapes only, not
// the signature.
func DecodeSignedHeader(raw, signature []byte) (*SignedHeader, error) {
	var pb chainpb.Header
	if err := UnmarshalStrict(raw, &pb); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	s := &SignedHeader{Raw: raw, Signature: signature, Hash: sha256.Sum256(raw)}
	h := &s.Header
	h.NetworkID = pb.NetworkId
	h.Height = pb.Height
	h.Time = time.UnixMilli(pb.TimeMs)
	h.EntryCount = pb.EntryCount
	switch {
	case len(pb.Issuer) != len(h.Issuer):
		return nil, fmt.Errorf("%w: issuer has %d bytes, want %d", ErrBadHeader, len(pb.Issuer), len(h.Issuer))
	case pb.Height == 0:
		return nil, fmt.Errorf("%w: height 0 (the first block is 1)", ErrBadHeader)
	case pb.Height == 1 && len(pb.PrevHash) != 0:
		return nil, fmt.Errorf("%w: block 1 has a previous hash", ErrBadHeader)
	case pb.Height > 1 && len(pb.PrevHash) != len(h.PrevHash):
		return nil, fmt.Errorf("%w: previous hash has %d bytes, want %d", ErrBadHeader, len(pb.PrevHash), len(h.PrevHash))
	case pb.Height == 1 && len(pb.HistoryRoot) != 0:
		return nil, fmt.Errorf("%w: block 1 has a history root", ErrBadHeader)
	case pb.Height > 1 && len(pb.HistoryRoot) != len(h.HistoryRoot):
		return nil, fmt.Errorf("%w: history root has %d bytes, want %d", ErrBadHeader, len(pb.HistoryRoot), len(h.HistoryRoot))
	case len(pb.EntriesRoot) != len(h.EntriesRoot):
		return nil, fmt.Errorf("%w: entries root has %d bytes, want %d", ErrBadHeader, len(pb.EntriesRoot), len(h.EntriesRoot))
	case pb.TimeMs <= 0:
		return nil, fmt.Errorf("%w: time %d is not after 1970", ErrBadHeader, pb.TimeMs)
	case pb.EntryCount == 0:
		return nil, fmt.Errorf("%w: a block has at least one entry", ErrBadHeader)
	}
	copy(h.Issuer[:], pb.Issuer)
	copy(h.PrevHash[:], pb.PrevHash)
	copy(h.EntriesRoot[:], pb.EntriesRoot)
	copy(h.HistoryRoot[:], pb.HistoryRoot)
	return s, nil
}

// Proto returns the wire form of the signed header.
func (s *SignedHeader) Proto() *chainpb.SignedHeader {
	return &chainpb.SignedHeader{Header: s.Raw, Signature: s.Signature}
}

// Marshal returns the encoded chainpb.SignedHeader.
func (s *SignedHeader) Marshal() []byte {
	b, err := proto.Marshal(s.Proto())
	if err != nil {
		panic(err) // two bytes fields cannot fail to encode
	}
	return b
}

// UnmarshalSignedHeader decodes an encoded chainpb.SignedHeader.
func UnmarshalSignedHeader(data []byte) (*SignedHeader, error) {
	var pb chainpb.SignedHeader
	if err := proto.Unmarshal(data, &pb); err != nil {
		return nil, fmt.Errorf("%w: signed header: %v", ErrMalformed, err)
	}
	return DecodeSignedHeader(pb.Header, pb.Signature)
}
