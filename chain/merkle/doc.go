// Package merkle is the RFC 6962 (Certificate Transparency) Merkle tree that
// commits a block header to its entries.
//
// A leaf hash is SHA-256(0x00 || entry) and an interior node is
// SHA-256(0x01 || left || right). A tree of n > 1 leaves splits at k, the
// largest power of two smaller than n; the root of the empty tree is
// SHA-256 of the empty string. These rules, and not a midpoint split or
// duplicated odd leaves, are what make our roots and proofs checkable by any
// other RFC 6962 implementation.
//
// Typical use:
//
//	leaves := make([]merkle.Hash, len(entries))
//	for i, e := range entries {
//		leaves[i] = merkle.LeafHash(e)
//	}
//	root := merkle.Root(leaves)
//	proof, _ := merkle.InclusionProof(leaves, 3)
//	err := merkle.VerifyInclusion(leaves[3], 3, uint64(len(leaves)), proof, root)
package merkle
