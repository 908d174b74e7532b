package queryproto

import (
	"bytes"
	"sync"

	"github.com/credmesh/credmesh/chain"
)

// DefaultVerifiedHeaders bounds a light client's cache of verified block
// headers.
const DefaultVerifiedHeaders = 4096

// headerCache remembers the block headers whose signatures a light client
// verified, so that the proofs of many records of one block cost one
// Ed25519 verification (a batch answer names each header once; lookups
// one after another meet the same blocks too). An entry is the header's
// hash, SHA-256 of the exact bytes signed, with the signature that
// verified: a header is taken as verified only when both its bytes and
// its signature are those seen verified, so a proof that carries a known
// header with another signature is checked again, and fails unless that
// signature verifies too. The cache holds at most its size in entries and
// forgets the oldest first.
type headerCache struct {
	mu   sync.RWMutex
	sigs map[chain.Hash][]byte
	ring []chain.Hash // insertion order, for eviction
	next int
}

func newHeaderCache(size int) *headerCache {
	size = max(size, 1)
	return &headerCache{sigs: make(map[chain.Hash][]byte, size), ring: make([]chain.Hash, 0, size)}
}

// verify checks h's signature unless this very header and signature were
// verified before.
func (c *headerCache) verify(h *chain.SignedHeader) error {
	c.mu.RLock()
	sig, ok := c.sigs[h.Hash]
	c.mu.RUnlock()
	if ok && bytes.Equal(sig, h.Signature) {
		return nil
	}
	if err := h.VerifySignature(); err != nil {
		return err
	}
	c.add(h.Hash, bytes.Clone(h.Signature))
	return nil
}

func (c *headerCache) add(hash chain.Hash, sig []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.sigs[hash]; ok {
		c.sigs[hash] = sig
		return
	}
	if len(c.ring) < cap(c.ring) {
		c.ring = append(c.ring, hash)
	} else {
		delete(c.sigs, c.ring[c.next])
		c.ring[c.next] = hash
		c.next = (c.next + 1) % len(c.ring)
	}
	c.sigs[hash] = sig
}

// len returns the number of headers held.
func (c *headerCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.sigs)
}
