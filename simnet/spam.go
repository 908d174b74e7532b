package simnet

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/credmesh/credmesh/chain"
)

// spamInvalid makes peer p a faulty member: it publishes rate blocks a
// second that it signs but whose entries do not match the Merkle root in
// the header (provably invalid: chain.ErrBadRoot), until ctx ends or max
// were sent. It returns how many it published.
func spamInvalid(ctx context.Context, p *Peer, networkID string, rate float64, max int) int {
	sent := 0
	every(ctx, period(rate, 1), func() bool {
		nw, st := p.Network(), p.Store()
		if nw == nil || st == nil {
			return true
		}
		entries := make([][]byte, 8)
		for i := range entries {
			entries[i] = make([]byte, 1024)
			rand.Read(entries[i])
		}
		b, _, err := chain.SealBlock(networkID, st.Head(p.Issuer), entries, p.Key, time.Now())
		if err != nil {
			return false
		}
		b.Entries[0] = append([]byte(nil), b.Entries[1]...) // root no longer matches
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		nw.Publish(pctx, b)
		cancel()
		sent++
		return sent < max
	})
	return sent
}
