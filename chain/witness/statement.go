package witness

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/merkle"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/formats/note"
)

// Head is one chain's head as a witness cosigns it.
type Head struct {
	Issuer chain.IssuerID
	Height uint64
	Hash   chain.Hash
}

// Leaf returns the Merkle leaf hash of h: RFC 6962 over issuer ‖ height
// (big-endian) ‖ hash.
func Leaf(h Head) chain.Hash {
	var b [32 + 8 + 32]byte
	copy(b[:32], h.Issuer[:])
	binary.BigEndian.PutUint64(b[32:40], h.Height)
	copy(b[40:], h.Hash[:])
	return merkle.LeafHash(b[:])
}

// SignatureSize is a cosignature/v1 signature: 8 bytes of timestamp and
// 64 of Ed25519.
const SignatureSize = 8 + ed25519.SignatureSize

// Origin is the checkpoint origin of a network's witness statements.
func Origin(networkID string) string { return "credmesh/" + networkID + "/heads" }

// KeyName is the note key name of a witness: its key in hex.
func KeyName(w chain.IssuerID) string { return w.String() }

// Errors of this package.
var (
	ErrBadSignature = errors.New("witness: bad cosignature")
	ErrMalformed    = errors.New("witness: malformed")
	ErrNotMember    = errors.New("witness: not a member")
)

// Statement is one witness's heads for one period and its signature.
type Statement struct {
	Witness   chain.IssuerID
	Heads     []Head // sorted by issuer, heights at least 1
	Signature []byte // SignatureSize bytes; Time is its first 8
}

// Time returns the signing time the signature carries (Unix seconds).
func (s *Statement) Time() time.Time { return SignatureTime(s.Signature) }

// SignatureTime returns the time a cosignature/v1 signature carries.
func SignatureTime(sig []byte) time.Time {
	if len(sig) < 8 {
		return time.Time{}
	}
	return time.Unix(int64(binary.BigEndian.Uint64(sig)), 0)
}

// Leaves returns the leaf hashes of the statement's heads.
func Leaves(heads []Head) []chain.Hash {
	out := make([]chain.Hash, len(heads))
	for i, h := range heads {
		out[i] = Leaf(h)
	}
	return out
}

// Checkpoint returns the tlog-checkpoint body a witness signs for a root
// over size heads.
func Checkpoint(networkID string, size uint64, root chain.Hash) []byte {
	return log.Checkpoint{Origin: Origin(networkID), Size: size, Hash: root[:]}.Marshal()
}

// CheckHeads checks that heads are sorted by issuer, one per chain, with
// heights of at least 1, and that there is at least one.
func CheckHeads(heads []Head) error {
	if len(heads) == 0 {
		return fmt.Errorf("%w: no heads", ErrMalformed)
	}
	for i, h := range heads {
		if h.Height == 0 {
			return fmt.Errorf("%w: head %d at height 0", ErrMalformed, i)
		}
		if i > 0 && bytes.Compare(heads[i-1].Issuer[:], h.Issuer[:]) >= 0 {
			return fmt.Errorf("%w: heads %d and %d are not in issuer order", ErrMalformed, i-1, i)
		}
	}
	return nil
}

// SortHeads sorts heads by issuer key.
func SortHeads(heads []Head) {
	slices.SortFunc(heads, func(a, b Head) int { return bytes.Compare(a.Issuer[:], b.Issuer[:]) })
}

// Sign signs heads (sorted, CheckHeads) as witness key at the clock's
// time: the library's cosignature/v1 signer reads the time itself.
func Sign(networkID string, heads []Head, key ed25519.PrivateKey) (*Statement, error) {
	if err := CheckHeads(heads); err != nil {
		return nil, err
	}
	w := chain.IssuerOf(key.Public().(ed25519.PublicKey))
	signer, err := note.NewSignerForCosignatureV1(signerKey(w, key))
	if err != nil {
		return nil, fmt.Errorf("witness: signer: %w", err)
	}
	body := Checkpoint(networkID, uint64(len(heads)), merkle.Root(Leaves(heads)))
	sig, err := signer.Sign(body)
	if err != nil {
		return nil, fmt.Errorf("witness: signing: %w", err)
	}
	return &Statement{Witness: w, Heads: slices.Clone(heads), Signature: sig}, nil
}

// Verify checks the statement: its witness is a member, its heads are
// well formed and its signature covers their root.
func (s *Statement) Verify(networkID string, members chain.Members) error {
	if !members.Contains(s.Witness) {
		return fmt.Errorf("%w: %s", ErrNotMember, s.Witness.Short())
	}
	if err := CheckHeads(s.Heads); err != nil {
		return err
	}
	return verifySig(networkID, s.Witness, uint64(len(s.Heads)), merkle.Root(Leaves(s.Heads)), s.Signature)
}

// verifySig checks a cosignature/v1 signature of the checkpoint (size,
// root) by witness w.
func verifySig(networkID string, w chain.IssuerID, size uint64, root chain.Hash, sig []byte) error {
	if len(sig) != SignatureSize {
		return fmt.Errorf("%w: %d bytes, want %d", ErrBadSignature, len(sig), SignatureSize)
	}
	v, err := note.NewVerifierForCosignatureV1(verifierKey(w))
	if err != nil {
		return fmt.Errorf("witness: verifier: %w", err)
	}
	if !v.Verify(Checkpoint(networkID, size, root), sig) {
		return ErrBadSignature
	}
	return nil
}

// HeadOf returns the statement's head of chain iss and its leaf index.
func (s *Statement) HeadOf(iss chain.IssuerID) (Head, int, bool) {
	i, ok := slices.BinarySearchFunc(s.Heads, iss, func(h Head, id chain.IssuerID) int { return bytes.Compare(h.Issuer[:], id[:]) })
	if !ok {
		return Head{}, 0, false
	}
	return s.Heads[i], i, true
}

// algCosignatureV1 is the note algorithm byte of Ed25519 cosignature/v1
// keys (C2SP tlog-cosignature).
const algCosignatureV1 = 0x04

// keyHash is the note key hash: the first 4 bytes of SHA-256(name ‖ "\n"
// ‖ alg ‖ key).
func keyHash(name string, pub []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write([]byte{algCosignatureV1})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// signerKey is the note signer key string of key.
func signerKey(w chain.IssuerID, key ed25519.PrivateKey) string {
	name := KeyName(w)
	return fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, keyHash(name, w[:]),
		base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, key.Seed()...)))
}

// VerifierKey is the note verifier key string of witness w, as a
// tlog-witness deployment would list it.
func VerifierKey(w chain.IssuerID) string { return verifierKey(w) }

func verifierKey(w chain.IssuerID) string {
	name := KeyName(w)
	return fmt.Sprintf("%s+%08x+%s", name, keyHash(name, w[:]),
		base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, w[:]...)))
}

// compareHeads orders heads by issuer.
func compareHeads(a, b Head) int { return cmp.Compare(string(a.Issuer[:]), string(b.Issuer[:])) }
