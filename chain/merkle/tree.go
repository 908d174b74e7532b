package merkle

import "fmt"

// Tree is every node of an RFC 6962 tree, level by level from the leaves
// up, flat: pairing neighbours and carrying a lone last node up unchanged
// builds exactly the RFC 6962 tree. Keeping the nodes makes an audit path a
// matter of reading one sibling per level, instead of rehashing the tree.
type Tree struct {
	nodes []Hash // level 0 (the leaves), then level 1, ..., then the root
	size  int    // number of leaves
}

// levelSizes returns the node count of each level of a tree of n leaves.
func levelSizes(n int) []int {
	sizes := []int{n}
	for n > 1 {
		n = (n + 1) / 2
		sizes = append(sizes, n)
	}
	return sizes
}

// NodeCount returns how many nodes a tree of n > 0 leaves keeps.
func NodeCount(n int) int {
	total := 0
	for _, s := range levelSizes(n) {
		total += s
	}
	return total
}

// NewTree hashes the tree over the given leaf hashes (at least one).
func NewTree(leaves []Hash) *Tree {
	if len(leaves) == 0 {
		panic("merkle: NewTree needs at least one leaf")
	}
	nodes := make([]Hash, 0, NodeCount(len(leaves)))
	nodes = append(nodes, leaves...)
	level := nodes[:len(leaves)]
	for len(level) > 1 {
		start := len(nodes)
		for i := 0; i+1 < len(level); i += 2 {
			nodes = append(nodes, NodeHash(level[i], level[i+1]))
		}
		if len(level)%2 == 1 {
			nodes = append(nodes, level[len(level)-1])
		}
		level = nodes[start:]
	}
	return &Tree{nodes: nodes, size: len(leaves)}
}

// Nodes returns every node, leaves first; ProofFromNodes reads them flat.
func (t *Tree) Nodes() []Hash { return t.nodes }

// Size returns the number of leaves.
func (t *Tree) Size() int { return t.size }

// Leaf returns leaf hash i.
func (t *Tree) Leaf(i int) Hash { return t.nodes[i] }

// Root returns the tree's root.
func (t *Tree) Root() Hash { return t.nodes[len(t.nodes)-1] }

// Proof returns the audit path of leaf index, bottom-up, as InclusionProof
// does.
func (t *Tree) Proof(index uint64) ([]Hash, error) {
	at, err := pathNodes(t.size, index)
	if err != nil {
		return nil, err
	}
	path := make([]Hash, len(at))
	for i, n := range at {
		path[i] = t.nodes[n]
	}
	return path, nil
}

// ProofFromNodes is Tree.Proof over the nodes of a tree of size leaves
// stored flat (32 bytes each, in Nodes order), reading only the path: a
// proof straight out of a database value, with nothing else copied.
func ProofFromNodes(flat []byte, size int, index uint64) ([]Hash, error) {
	if size <= 0 || len(flat) != Size*NodeCount(size) {
		return nil, fmt.Errorf("merkle: %d bytes cannot be the nodes of a tree of %d leaves", len(flat), size)
	}
	at, err := pathNodes(size, index)
	if err != nil {
		return nil, err
	}
	path := make([]Hash, len(at))
	for i, n := range at {
		copy(path[i][:], flat[n*Size:])
	}
	return path, nil
}

// pathNodes returns the positions, in Nodes order, of leaf index's audit
// path in a tree of size leaves.
func pathNodes(size int, index uint64) ([]int, error) {
	if index >= uint64(size) {
		return nil, fmt.Errorf("%w: index %d, size %d", ErrIndexOutOfRange, index, size)
	}
	var at []int
	i, offset := int(index), 0
	for _, n := range levelSizes(size) {
		if n == 1 {
			break
		}
		if sib := i ^ 1; sib < n {
			at = append(at, offset+sib)
		}
		offset += n
		i /= 2
	}
	return at, nil
}
