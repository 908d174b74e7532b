package subjectfilter

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/credmesh/credmesh/chain/privacy"
)

// MaxBytes bounds an encoded filter: 16 MiB is 14 million subjects at a
// 1 % false-positive rate.
const MaxBytes = 16 << 20

// maxK bounds the number of hash functions.
const maxK = 16

const domain = "credmesh/subjectfilter/1\x00"

// ErrFilter is returned for an encoding that is not a filter.
var ErrFilter = errors.New("subjectfilter: not a filter")

// Filter is a Bloom filter of subject references. It is not safe for
// concurrent Add; Has may run concurrently with other Has calls.
type Filter struct {
	k    int
	bits []byte
}

// New returns an empty filter sized for n subjects at false-positive rate
// fp (0 < fp < 1): m = −n·ln fp / ln²2 bits, k = (m / n)·ln 2 hash
// functions, at least 64 bits.
func New(n int, fp float64) *Filter {
	if fp <= 0 || fp >= 1 {
		fp = 0.01
	}
	n = max(n, 1)
	m := math.Ceil(-float64(n) * math.Log(fp) / (math.Ln2 * math.Ln2))
	m = min(max(m, 64), float64((MaxBytes-1)*8))
	k := int(math.Round(m / float64(n) * math.Ln2))
	k = min(max(k, 1), maxK)
	return &Filter{k: k, bits: make([]byte, (int(m)+7)/8)}
}

func (f *Filter) positions(ref privacy.Ref, visit func(bit uint64) bool) bool {
	var buf [len(domain) + len(privacy.Ref{})]byte
	copy(buf[copy(buf[:], domain):], ref[:])
	sum := sha256.Sum256(buf[:])
	h1, h2 := binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:16])|1
	m := uint64(len(f.bits)) * 8
	for i := range uint64(f.k) {
		if !visit((h1 + i*h2) % m) {
			return false
		}
	}
	return true
}

// Add puts ref in the filter.
func (f *Filter) Add(ref privacy.Ref) {
	f.positions(ref, func(b uint64) bool {
		f.bits[b/8] |= 1 << (b % 8)
		return true
	})
}

// Has reports whether ref may be in the filter (never false for one that
// was added).
func (f *Filter) Has(ref privacy.Ref) bool {
	return f.positions(ref, func(b uint64) bool { return f.bits[b/8]&(1<<(b%8)) != 0 })
}

// Size returns the encoded length in bytes.
func (f *Filter) Size() int { return 1 + len(f.bits) }

// Marshal encodes the filter: k, then the bits.
func (f *Filter) Marshal() []byte {
	return append([]byte{byte(f.k)}, f.bits...)
}

// Unmarshal decodes a filter, refusing one over MaxBytes, with k outside
// 1..16 or fewer than 64 bits.
func Unmarshal(b []byte) (*Filter, error) {
	switch {
	case len(b) > MaxBytes:
		return nil, fmt.Errorf("%w: %d bytes, over the %d limit", ErrFilter, len(b), MaxBytes)
	case len(b) < 1+8:
		return nil, fmt.Errorf("%w: %d bytes, under the 9 of k and 64 bits", ErrFilter, len(b))
	case b[0] < 1 || b[0] > maxK:
		return nil, fmt.Errorf("%w: %d hash functions, outside 1..%d", ErrFilter, b[0], maxK)
	}
	return &Filter{k: int(b[0]), bits: append([]byte(nil), b[1:]...)}, nil
}
