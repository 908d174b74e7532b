package merkle

import (
	"encoding/hex"
	"errors"
	"testing"
)

// The Certificate Transparency reference leaves and tree heads.
var ctLeaves = []string{
	"", "00", "10", "2021", "3031", "40414243",
	"5051525354555657", "606162636465666768696a6b6c6d6e6f",
}

var ctRoots = []string{
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}

var ctInclusion = []struct {
	index, size uint64
	proof       []string
}{
	{0, 8, []string{
		"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
	}},
	{5, 8, []string{
		"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	}},
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ctLeafHashes(t testing.TB) []Hash {
	out := make([]Hash, len(ctLeaves))
	for i, s := range ctLeaves {
		out[i] = LeafHash(mustHex(t, s))
	}
	return out
}

func TestRootMatchesRFC6962Vectors(t *testing.T) {
	leaves := ctLeafHashes(t)
	for n := 0; n <= len(leaves); n++ {
		if got := Root(leaves[:n]).String(); got != ctRoots[n] {
			t.Errorf("root of %d leaves = %s, want %s", n, got, ctRoots[n])
		}
	}
}

func TestInclusionProofMatchesRFC6962Vectors(t *testing.T) {
	leaves := ctLeafHashes(t)
	for _, tc := range ctInclusion {
		proof, err := InclusionProof(leaves[:tc.size], tc.index)
		if err != nil {
			t.Fatal(err)
		}
		if len(proof) != len(tc.proof) {
			t.Fatalf("proof(%d,%d) has %d elements, want %d", tc.index, tc.size, len(proof), len(tc.proof))
		}
		for i := range proof {
			if proof[i].String() != tc.proof[i] {
				t.Errorf("proof(%d,%d)[%d] = %s, want %s", tc.index, tc.size, i, proof[i], tc.proof[i])
			}
		}
	}
}

func syntheticLeaves(n int) []Hash {
	out := make([]Hash, n)
	for i := range out {
		out[i] = LeafHash([]byte{byte(i), byte(i >> 8), 0xc3})
	}
	return out
}

// Every index of every tree size 1..257 proves, and any single flipped bit in
// the leaf, any path element or the root makes the proof fail.
func TestInclusionEveryIndexEverySize(t *testing.T) {
	all := syntheticLeaves(257)
	for n := 1; n <= len(all); n++ {
		leaves := all[:n]
		root := Root(leaves)
		for i := 0; i < n; i++ {
			proof, err := InclusionProof(leaves, uint64(i))
			if err != nil {
				t.Fatalf("size %d index %d: %v", n, i, err)
			}
			if err := VerifyInclusion(leaves[i], uint64(i), uint64(n), proof, root); err != nil {
				t.Fatalf("size %d index %d: %v", n, i, err)
			}
			bit := (n*31 + i*7) % (Size * 8) // a different bit for each case
			if VerifyInclusion(flip(leaves[i], bit), uint64(i), uint64(n), proof, root) == nil {
				t.Fatalf("size %d index %d: flipped leaf verified", n, i)
			}
			if VerifyInclusion(leaves[i], uint64(i), uint64(n), proof, flip(root, bit)) == nil {
				t.Fatalf("size %d index %d: flipped root verified", n, i)
			}
			for p := range proof {
				bad := append([]Hash(nil), proof...)
				bad[p] = flip(bad[p], bit)
				if VerifyInclusion(leaves[i], uint64(i), uint64(n), bad, root) == nil {
					t.Fatalf("size %d index %d: flipped path element %d verified", n, i, p)
				}
			}
		}
	}
}

func TestInclusionRejectsWrongShape(t *testing.T) {
	leaves := syntheticLeaves(13)
	root := Root(leaves)
	proof, _ := InclusionProof(leaves, 5)
	cases := []struct {
		name        string
		index, size uint64
		proof       []Hash
		want        error
	}{
		{"index past size", 13, 13, proof, ErrIndexOutOfRange},
		{"one element short", 5, 13, proof[:len(proof)-1], ErrProofLength},
		{"one element extra", 5, 13, append(append([]Hash(nil), proof...), Hash{}), ErrProofLength},
		{"other index", 4, 13, proof, ErrRootMismatch},
		{"smaller tree", 5, 8, proof, ErrProofLength},
	}
	for _, tc := range cases {
		err := VerifyInclusion(leaves[5], tc.index, tc.size, tc.proof, root)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := InclusionProof(leaves, 13); !errors.Is(err, ErrIndexOutOfRange) {
		t.Errorf("InclusionProof past the end: %v", err)
	}
}

func flip(h Hash, bit int) Hash {
	h[bit/8] ^= 1 << (bit % 8)
	return h
}

func BenchmarkInclusionProof256(b *testing.B) {
	leaves := syntheticLeaves(256)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := InclusionProof(leaves, uint64(i%256)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyInclusion256(b *testing.B) {
	leaves := syntheticLeaves(256)
	root := Root(leaves)
	proof, _ := InclusionProof(leaves, 77)
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyInclusion(leaves[77], 77, 256, proof, root); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTreeMatchesRootAndProofs(t *testing.T) {
	all := syntheticLeaves(257)
	for n := 1; n <= len(all); n++ {
		tree := NewTree(all[:n])
		if tree.Root() != Root(all[:n]) {
			t.Fatalf("size %d: tree root differs from Root", n)
		}
		var flat []byte
		for _, h := range tree.Nodes() {
			flat = append(flat, h[:]...)
		}
		for i := 0; i < n; i++ {
			want, _ := InclusionProof(all[:n], uint64(i))
			got, err := tree.Proof(uint64(i))
			fromFlat, err2 := ProofFromNodes(flat, n, uint64(i))
			if err != nil || err2 != nil || len(got) != len(want) || len(fromFlat) != len(want) {
				t.Fatalf("size %d index %d: %d and %d elements, want %d (%v, %v)", n, i, len(got), len(fromFlat), len(want), err, err2)
			}
			for j := range got {
				if got[j] != want[j] || fromFlat[j] != want[j] {
					t.Fatalf("size %d index %d: element %d differs", n, i, j)
				}
			}
		}
	}
	if _, err := ProofFromNodes(make([]byte, 5*Size), 4, 0); err == nil {
		t.Fatal("accepted a node list of the wrong length")
	}
}

func BenchmarkTreeProof256(b *testing.B) {
	tree := NewTree(syntheticLeaves(256))
	for i := 0; b.Loop(); i++ {
		if _, err := tree.Proof(uint64(i % 256)); err != nil {
			b.Fatal(err)
		}
	}
}
