package gate_test

import (
	"testing"

	"github.com/credmesh/credmesh/internal/gate"
)

func TestCloseWaitsForAdmittedWorkAndRefusesNew(t *testing.T) {
	var g gate.Gate
	if !g.Enter() {
		t.Fatal("an open gate refused work")
	}
	closed := make(chan struct{})
	go func() {
		g.Close()
		close(closed)
	}()
	// Close cannot finish while the work is inside; once it has set the
	// gate closed, new work is refused.
	for g.Enter() {
		g.Leave()
	}
	select {
	case <-closed:
		t.Fatal("Close returned while work was still inside")
	default:
	}
	g.Leave()
	<-closed
	if g.Enter() {
		t.Fatal("a closed gate admitted work")
	}
	g.Close() // again: returns at once
}

func TestManyWorkersUnderClose(t *testing.T) {
	var g gate.Gate
	done := make(chan int)
	for range 8 {
		go func() {
			n := 0
			for g.Enter() {
				n++
				g.Leave()
			}
			done <- n
		}()
	}
	g.Close()
	for range 8 {
		<-done
	}
	if g.Enter() {
		t.Fatal("a closed gate admitted work")
	}
}
