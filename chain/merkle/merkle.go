package merkle

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
)

// Size is the length of every hash in the tree.
const Size = sha256.Size

// Hash is a leaf, node or root hash.
type Hash [Size]byte

// String returns the hash in lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// EmptyRoot is the root of the tree with no leaves: SHA-256 of "".
var EmptyRoot = Hash(sha256.Sum256(nil))

const (
	leafPrefix = 0x00
	nodePrefix = 0x01
)

// LeafHash returns SHA-256(0x00 || data).
func LeafHash(data []byte) Hash {
	h := sha256.New()
	h.Write([]byte{leafPrefix})
	h.Write(data)
	var out Hash
	h.Sum(out[:0])
	return out
}

// NodeHash returns SHA-256(0x01 || left || right).
func NodeHash(left, right Hash) Hash {
	var buf [1 + 2*Size]byte
	buf[0] = nodePrefix
	copy(buf[1:], left[:])
	copy(buf[1+Size:], right[:])
	return sha256.Sum256(buf[:])
}

// split returns the largest power of two smaller than n, for n >= 2.
func split(n uint64) uint64 {
	return 1 << (bits.Len64(n-1) - 1)
}

// Root returns the Merkle tree hash of the given leaf hashes.
func Root(leaves []Hash) Hash {
	if len(leaves) == 0 {
		return EmptyRoot
	}
	// Work bottom-up on a copy: pair neighbours level by level. A lone last
	// node is carried up unchanged, which yields exactly the RFC 6962 split.
	level := make([]Hash, len(leaves))
	copy(level, leaves)
	for len(level) > 1 {
		next := level[:0]
		for i := 0; i+1 < len(level); i += 2 {
			next = append(next, NodeHash(level[i], level[i+1]))
		}
		if len(level)%2 == 1 {
			next = append(next, level[len(level)-1])
		}
		level = next
	}
	return level[0]
}

// Errors returned by proof generation and verification.
var (
	ErrIndexOutOfRange = errors.New("merkle: leaf index out of range")
	ErrProofLength     = errors.New("merkle: proof has the wrong length")
	ErrRootMismatch    = errors.New("merkle: proof does not lead to the root")
)

// InclusionProof returns the audit path of leaf index in the tree of leaves,
// ordered from the leaf's sibling up to the child of the root.
func InclusionProof(leaves []Hash, index uint64) ([]Hash, error) {
	n := uint64(len(leaves))
	if index >= n {
		return nil, fmt.Errorf("%w: index %d, size %d", ErrIndexOutOfRange, index, n)
	}
	proof := make([]Hash, 0, bits.Len64(n))
	for n > 1 {
		k := split(n)
		if index < k {
			proof = append(proof, Root(leaves[k:n]))
			leaves, n = leaves[:k], k
		} else {
			proof = append(proof, Root(leaves[:k]))
			leaves, n, index = leaves[k:], n-k, index-k
		}
	}
	// Built top-down; verifiers consume it bottom-up.
	for i, j := 0, len(proof)-1; i < j; i, j = i+1, j-1 {
		proof[i], proof[j] = proof[j], proof[i]
	}
	return proof, nil
}

// RootFromInclusionProof computes the root implied by a leaf hash at index
// in a tree of size leaves and its audit path (RFC 9162, section 2.1.3.2).
func RootFromInclusionProof(leaf Hash, index, size uint64, proof []Hash) (Hash, error) {
	if index >= size {
		return Hash{}, fmt.Errorf("%w: index %d, size %d", ErrIndexOutOfRange, index, size)
	}
	fn, sn := index, size-1
	r := leaf
	for _, p := range proof {
		if sn == 0 {
			return Hash{}, fmt.Errorf("%w: %d elements is too many for index %d of %d", ErrProofLength, len(proof), index, size)
		}
		if fn&1 == 1 || fn == sn {
			r = NodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = NodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return Hash{}, fmt.Errorf("%w: %d elements is too few for index %d of %d", ErrProofLength, len(proof), index, size)
	}
	return r, nil
}

// VerifyInclusion checks that leaf is at index in the tree of size leaves
// whose root is root.
func VerifyInclusion(leaf Hash, index, size uint64, proof []Hash, root Hash) error {
	got, err := RootFromInclusionProof(leaf, index, size, proof)
	if err != nil {
		return err
	}
	if got != root {
		return ErrRootMismatch
	}
	return nil
}
