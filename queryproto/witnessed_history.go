package queryproto

import (
	"fmt"

	"github.com/credmesh/credmesh/chain"
)

// inHistory checks that block is in the history of the later head h of
// its chain, by path (chain.VerifyInHistory; docs/PROTOCOL.md 5.8), and
// returns the path decoded.
func inHistory(block, h *chain.SignedHeader, path [][]byte) ([]chain.Hash, error) {
	hp := make([]chain.Hash, len(path))
	for i, p := range path {
		if len(p) != 32 {
			return nil, fmt.Errorf("history path node %d has %d bytes", i, len(p))
		}
		hp[i] = chain.Hash(p)
	}
	return hp, chain.VerifyInHistory(block, h, hp)
}
