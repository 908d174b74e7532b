package p2p

import (
	"testing"

	"github.com/credmesh/credmesh/chain/chaintest"
)

// The waiting room is bounded per chain and in bytes, takes one block per
// height, and wakes a chain's blocks when that chain grows.
func TestOrphansAreBounded(t *testing.T) {
	o := newOrphans()
	a, b := chaintest.Issuer(1), chaintest.Issuer(2)
	var woken <-chan struct{}
	for h := range uint64(maxOrphans) {
		ch, ok := o.hold(a, 10+h, 1000)
		if !ok {
			t.Fatalf("block %d refused below the per-chain limit", 10+h)
		}
		woken = ch
	}
	if _, ok := o.hold(a, 20, 1000); ok {
		t.Fatal("a block beyond the per-chain limit was taken")
	}
	if _, ok := o.hold(b, 10, maxOrphanBytes); ok {
		t.Fatal("a block beyond the byte limit was taken")
	}
	o.release(a, 10, 1000)
	if _, ok := o.hold(a, 11, 1000); ok {
		t.Fatal("a second block at one height was taken")
	}
	if _, ok := o.hold(b, 10, maxOrphanBytes-3*1000); !ok {
		t.Fatal("a block within the byte limit was refused")
	}
	select {
	case <-woken:
		t.Fatal("woken before the chain grew")
	default:
	}
	o.grew(b)
	select {
	case <-woken:
		t.Fatal("woken by another chain")
	default:
	}
	o.grew(a)
	<-woken
}
