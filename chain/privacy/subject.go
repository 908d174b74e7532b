package privacy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Kind names a family of identifiers. Every Ref is namespaced by its kind,
// so equal numbers of different kinds never collide.
type Kind string

// Known identifier kinds.
const (
	// KindResidentID is the 18-character PRC resident identity card number.
	KindResidentID Kind = "cn-rid"
	// KindCreditCode is the 18-character unified social credit code of a
	// PRC organization (GB 32100-2015).
	KindCreditCode Kind = "cn-uscc"
	// KindPassport is a passport number qualified by its ISO 3166-1 alpha-3
	// issuing country, written "CHN:E12345678".
	KindPassport Kind = "passport"
)

// Kinds lists the known kinds, for help text and validation.
var Kinds = []Kind{KindResidentID, KindCreditCode, KindPassport}

// Errors of ParseID. None of them includes the ID it was given.
var (
	ErrUnknownKind = errors.New("privacy: unknown identifier kind")
	ErrMalformedID = errors.New("privacy: malformed identifier")
	ErrChecksum    = errors.New("privacy: identifier check character does not match")
)

// ID is a normalized identifier. Its zero value is not valid.
type ID struct {
	kind  Kind
	value string
}

// ParseID normalizes raw (surrounding space removed, letters upper-cased)
// and checks it as an identifier of the given kind.
func ParseID(kind Kind, raw string) (ID, error) {
	v := strings.ToUpper(strings.TrimSpace(raw))
	var err error
	switch kind {
	case KindResidentID:
		err = checkResidentID(v)
	case KindCreditCode:
		err = checkCreditCode(v)
	case KindPassport:
		err = checkPassport(v)
	default:
		return ID{}, fmt.Errorf("%w %q (known: %v)", ErrUnknownKind, kind, Kinds)
	}
	if err != nil {
		return ID{}, err
	}
	return ID{kind: kind, value: v}, nil
}

// Kind returns the identifier's kind.
func (id ID) Kind() Kind { return id.kind }

// String names the kind only; the number is never printed.
func (id ID) String() string { return "subject(" + string(id.kind) + ":redacted)" }

// GoString keeps %#v from printing the number.
func (id ID) GoString() string { return id.String() }

// LogValue keeps slog from printing the number.
func (id ID) LogValue() slog.Value { return slog.StringValue(id.String()) }

// RefSize is the length of a subject reference.
const RefSize = sha256.Size

// Ref is the network-wide reference to a subject.
type Ref [RefSize]byte

// String returns the reference in hex.
func (r Ref) String() string { return hex.EncodeToString(r[:]) }

const refDomain = "credmesh/v1/subject\x00"

// Ref derives the subject reference: HMAC-SHA256(secret,
// "credmesh/v1/subject\x00" || kind || ":" || normalized ID).
func (id ID) Ref(secret []byte) (Ref, error) {
	if id.kind == "" {
		return Ref{}, fmt.Errorf("%w: zero ID", ErrMalformedID)
	}
	if len(secret) < 16 {
		return Ref{}, errors.New("privacy: subject secret must be at least 16 bytes")
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(refDomain))
	m.Write([]byte(id.kind))
	m.Write([]byte{':'})
	m.Write([]byte(id.value))
	var r Ref
	m.Sum(r[:0])
	return r, nil
}
