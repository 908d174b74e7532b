package privacy

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
)

// Sizes of the sealing values.
const (
	LookupSize = 32
	NonceSize  = 12
	TagSize    = 16
)

// Order ID bounds. The order ID is the capability that finds and opens a
// record, so it must not be guessable; issuers should use at least 16
// random characters.
const (
	MinOrderIDLen = 8
	MaxOrderIDLen = 128
)

// Errors of the sealing functions.
var (
	ErrOrderID = errors.New("privacy: invalid order ID")
	ErrOpen    = errors.New("privacy: sealed record does not open (wrong order ID, issuer, or tampered bytes)")
)

const (
	lookupInfo = "credmesh/v1 payment lookup"
	keyInfo    = "credmesh/v1 payment key"
	aadDomain  = "credmesh/v1/payment\x00"
)

// CheckOrderID reports whether orderID is 8 to 128 printable ASCII
// characters without spaces.
func CheckOrderID(orderID string) error {
	if len(orderID) < MinOrderIDLen || len(orderID) > MaxOrderIDLen {
		return fmt.Errorf("%w: length %d, want %d to %d", ErrOrderID, len(orderID), MinOrderIDLen, MaxOrderIDLen)
	}
	for i := 0; i < len(orderID); i++ {
		if c := orderID[i]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("%w: character %d is not printable ASCII", ErrOrderID, i+1)
		}
	}
	return nil
}

func derive(networkID, orderID, info string, n int) []byte {
	prk, err := hkdf.Extract(sha256.New, []byte(orderID), []byte(networkID))
	if err != nil {
		panic(err) // HKDF-Extract with SHA-256 cannot fail
	}
	out, err := hkdf.Expand(sha256.New, prk, info, n)
	if err != nil {
		panic(err) // n is far below 255 * 32
	}
	return out
}

// Lookup returns the lookup hash that indexes the payment with orderID.
func Lookup(networkID, orderID string) [LookupSize]byte {
	var l [LookupSize]byte
	copy(l[:], derive(networkID, orderID, lookupInfo, LookupSize))
	return l
}

func aead(networkID, orderID string) cipher.AEAD {
	block, err := aes.NewCipher(derive(networkID, orderID, keyInfo, 32))
	if err != nil {
		panic(err)
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return g
}

func additionalData(lookup [LookupSize]byte, issuer []byte) []byte {
	ad := make([]byte, 0, len(aadDomain)+LookupSize+len(issuer))
	ad = append(ad, aadDomain...)
	ad = append(ad, lookup[:]...)
	return append(ad, issuer...)
}

// Sealed is a payment record's plaintext sealed under its order ID.
type Sealed struct {
	Lookup     [LookupSize]byte
	Nonce      [NonceSize]byte
	Ciphertext []byte // includes the tag
}

// Seal seals plaintext for the issuer under the key derived from orderID,
// drawing the nonce from random.
func Seal(networkID, orderID string, issuer, plaintext []byte, random io.Reader) (Sealed, error) {
	if err := CheckOrderID(orderID); err != nil {
		return Sealed{}, err
	}
	s := Sealed{Lookup: Lookup(networkID, orderID)}
	if _, err := io.ReadFull(random, s.Nonce[:]); err != nil {
		return Sealed{}, fmt.Errorf("privacy: drawing a nonce: %w", err)
	}
	s.Ciphertext = aead(networkID, orderID).Seal(nil, s.Nonce[:], plaintext, additionalData(s.Lookup, issuer))
	return s, nil
}

// Open checks and decrypts a sealed record with its order ID.
func Open(networkID, orderID string, issuer []byte, lookup, nonce, ciphertext []byte) ([]byte, error) {
	if err := CheckOrderID(orderID); err != nil {
		return nil, err
	}
	want := Lookup(networkID, orderID)
	if len(lookup) != LookupSize || [LookupSize]byte(lookup) != want {
		return nil, fmt.Errorf("%w: lookup hash is not this order ID's", ErrOpen)
	}
	if len(nonce) != NonceSize {
		return nil, fmt.Errorf("%w: nonce has %d bytes", ErrOpen, len(nonce))
	}
	pt, err := aead(networkID, orderID).Open(nil, nonce, ciphertext, additionalData(want, issuer))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
