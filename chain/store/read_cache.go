package store

import (
	"sync"

	"github.com/credmesh/credmesh/chain"
)

// headerCacheSize is how many decoded signed headers headerCache keeps:
// about 1.5 MiB, the headers of 4096 blocks (1.1 M payments of full
// blocks), so that the proofs of recent and often asked blocks skip a
// read, a protobuf decode and a SHA-256 each.
const headerCacheSize = 4096

// headerCache keeps the decoded signed headers of blocks read lately, by
// issuer and height. A stored header is never replaced (a height is
// appended once, pruning keeps headers), so an entry never goes stale; it
// is dropped first in, first out. Its zero value is ready for use. The
// headers it hands out are shared: callers read them and never write.
type headerCache struct {
	mu    sync.Mutex
	byRef map[blockRef]*chain.SignedHeader
	ring  []blockRef // insertion order; next is the slot to reuse
	next  int
}

type blockRef struct {
	iss    chain.IssuerID
	height uint64
}

func (c *headerCache) get(iss chain.IssuerID, height uint64) *chain.SignedHeader {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byRef[blockRef{iss, height}]
}

func (c *headerCache) put(h *chain.SignedHeader) {
	ref := blockRef{h.Issuer, h.Height}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byRef == nil {
		c.byRef = make(map[blockRef]*chain.SignedHeader, headerCacheSize)
		c.ring = make([]blockRef, 0, headerCacheSize)
	}
	if _, ok := c.byRef[ref]; ok {
		return
	}
	if len(c.ring) < headerCacheSize {
		c.ring = append(c.ring, ref)
	} else {
		delete(c.byRef, c.ring[c.next])
		c.ring[c.next] = ref
		c.next = (c.next + 1) % headerCacheSize
	}
	c.byRef[ref] = h
}
