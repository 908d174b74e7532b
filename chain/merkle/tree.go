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

// TreeFromNodes wraps nodes kept from Tree.Nodes of a tree of size leaves.
func TreeFromNodes(nodes []Hash, size int) (*Tree, error) {
	if size <= 0 || len(nodes) != NodeCount(size) {
		return nil, fmt.Errorf("merkle: %d nodes cannot be a tree of %d leaves", len(nodes), size)
	}
	return &Tree{nodes: nodes, size: size}, nil
}

// Nodes returns every node, leaves first; TreeFromNodes takes them back.
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
	if index >= uint64(t.size) {
		return nil, fmt.Errorf("%w: index %d, size %d", ErrIndexOutOfRange, index, t.size)
	}
	var path []Hash
	i, offset := int(index), 0
	for _, n := range levelSizes(t.size) {
		if n == 1 {
			break
		}
		if sib := i ^ 1; sib < n {
			path = append(path, t.nodes[offset+sib])
		}
		offset += n
		i /= 2
	}
	return path, nil
}
