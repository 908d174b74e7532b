package merkle

import (
	"encoding/binary"
	"slices"
	"testing"
)

// Every audit path rebuilt from the upper levels and the leaf's group is the
// whole tree's, for every size up to 140 leaves (short last groups, lone
// nodes carried up at every level) and every skip that has levels above it.
func TestProofFromUpperEqualsProof(t *testing.T) {
	for size := 1; size <= 140; size++ {
		leaves := make([]Hash, size)
		for i := range leaves {
			leaves[i] = LeafHash(binary.BigEndian.AppendUint32(nil, uint32(i)))
		}
		tree := NewTree(leaves)
		for skip := 1; skip <= 4; skip++ {
			if !CanSkip(size, skip) {
				continue
			}
			upper := tree.Upper(skip)
			if len(upper) != UpperNodeCount(size, skip) {
				t.Fatalf("size %d skip %d: %d upper nodes, UpperNodeCount says %d", size, skip, len(upper), UpperNodeCount(size, skip))
			}
			if upper[len(upper)-1] != tree.Root() {
				t.Fatalf("size %d skip %d: the upper nodes do not end in the root", size, skip)
			}
			flat := make([]byte, 0, Size*len(upper))
			for _, n := range upper {
				flat = append(flat, n[:]...)
			}
			for i := range uint64(size) {
				first, end := GroupOf(size, skip, i)
				got, err := ProofFromUpper(flat, size, skip, i, leaves[first:end])
				if err != nil {
					t.Fatalf("size %d skip %d index %d: %v", size, skip, i, err)
				}
				want, _ := tree.Proof(i)
				if !slices.Equal(got, want) {
					t.Fatalf("size %d skip %d index %d: path differs from the whole tree's", size, skip, i)
				}
				if err := VerifyInclusion(leaves[i], i, uint64(size), got, tree.Root()); err != nil {
					t.Fatalf("size %d skip %d index %d: %v", size, skip, i, err)
				}
			}
		}
	}
}

// Wrong inputs are refused, not read past.
func TestProofFromUpperRefusesBadInput(t *testing.T) {
	leaves := make([]Hash, 20)
	tree := NewTree(leaves)
	var flat []byte
	for _, n := range tree.Upper(3) {
		flat = append(flat, n[:]...)
	}
	cases := map[string]func() error{
		"short value": func() error { _, err := ProofFromUpper(flat[:len(flat)-1], 20, 3, 0, leaves[:8]); return err },
		"whole tree": func() error {
			_, err := ProofFromUpper(make([]byte, Size*NodeCount(20)), 20, 3, 0, leaves[:8])
			return err
		},
		"small tree":    func() error { _, err := ProofFromUpper(flat, 7, 3, 0, leaves[:7]); return err },
		"index too big": func() error { _, err := ProofFromUpper(flat, 20, 3, 20, leaves[:4]); return err },
		"wrong group":   func() error { _, err := ProofFromUpper(flat, 20, 3, 17, leaves[:8]); return err },
	}
	for name, f := range cases {
		if f() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
