package simnet

import "sync"

// gate lets many operations run at once and lets a closer wait until those
// under way have ended, refusing new ones meanwhile. It waits on channels,
// not on a lock: a goroutine blocked on a mutex does not let a synctest
// bubble's clock advance, so it could never see the operations time out.
type gate struct {
	mu      sync.Mutex
	n       int           // operations under way
	closing bool          // no new operation
	idle    chan struct{} // closed when n drops to 0 while closing
}

// enter starts an operation; it reports false while the gate is closing.
func (g *gate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return false
	}
	g.n++
	return true
}

// leave ends an operation.
func (g *gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.n == 0 && g.closing && g.idle != nil {
		close(g.idle)
		g.idle = nil
	}
}

// close refuses new operations and waits for those under way; open
// admits them again.
func (g *gate) close() {
	g.mu.Lock()
	g.closing = true
	if g.n == 0 {
		g.mu.Unlock()
		return
	}
	idle := make(chan struct{})
	g.idle = idle
	g.mu.Unlock()
	<-idle
}

func (g *gate) open() {
	g.mu.Lock()
	g.closing = false
	g.mu.Unlock()
}
