package merkle

import "fmt"

// A tree may be kept without its lowest levels: the nodes from level skip
// up (Tree.Upper), and an audit path rebuilt from them and the leaf hashes
// of the one group of 2^skip leaves the path starts in (ProofFromUpper).
// Groups are aligned to 2^skip, so a group's own tree is exactly the
// lowest skip levels of the whole tree above those leaves, and its root is
// the tree's node at level skip; a short last group is built by the same
// pairing, its lone nodes carried up as in the whole tree. Keeping levels
// from 3 up stores a quarter of a node per leaf instead of two, for eight
// leaf hashes per proof.

// levelStart returns the position, in Nodes order, of the first node of
// level (0: the leaves) of a tree of size leaves.
func levelStart(size, level int) int {
	start := 0
	for i, n := range levelSizes(size) {
		if i == level {
			break
		}
		start += n
	}
	return start
}

// CanSkip reports whether a tree of size leaves has levels above skip, so
// that keeping only those is a shorter form than the whole tree.
func CanSkip(size, skip int) bool { return skip > 0 && size >= 1<<skip }

// UpperNodeCount returns how many nodes a tree of size leaves keeps from
// level skip up (CanSkip must hold).
func UpperNodeCount(size, skip int) int { return NodeCount(size) - levelStart(size, skip) }

// Upper returns the nodes from level skip up, in Nodes order.
func (t *Tree) Upper(skip int) []Hash { return t.nodes[levelStart(t.size, skip):] }

// GroupOf returns the leaves, [first, end), of the group of 2^skip leaves
// that index is in.
func GroupOf(size, skip int, index uint64) (first, end uint64) {
	first = index >> skip << skip
	return first, min(first+1<<skip, uint64(size))
}

// ProofFromUpper is the audit path of leaf index of a tree of size leaves
// from its nodes from level skip up, stored flat (32 bytes each), and
// group, the leaf hashes of index's group (GroupOf). It equals Tree.Proof.
func ProofFromUpper(flat []byte, size, skip int, index uint64, group []Hash) ([]Hash, error) {
	if !CanSkip(size, skip) || len(flat) != Size*UpperNodeCount(size, skip) {
		return nil, fmt.Errorf("merkle: %d bytes cannot be the nodes from level %d of a tree of %d leaves", len(flat), skip, size)
	}
	if index >= uint64(size) {
		return nil, fmt.Errorf("%w: index %d, size %d", ErrIndexOutOfRange, index, size)
	}
	first, end := GroupOf(size, skip, index)
	if uint64(len(group)) != end-first {
		return nil, fmt.Errorf("merkle: %d leaf hashes for a group of %d", len(group), end-first)
	}
	sub := NewTree(group)
	low, err := sub.Proof(index - first)
	if err != nil {
		return nil, err
	}
	// The path above the group: pathNodes over the levels from skip up,
	// whose sizes are those of a tree of ceil(size/2^skip) leaves.
	upperSize := (size + 1<<skip - 1) >> skip
	at, err := pathNodes(upperSize, index>>skip)
	if err != nil {
		return nil, err
	}
	path := make([]Hash, len(low), len(low)+len(at))
	copy(path, low)
	for _, n := range at {
		var h Hash
		copy(h[:], flat[n*Size:])
		path = append(path, h)
	}
	return path, nil
}
