package gate

import "sync"

// Gate admits work until it is closed. The zero value is open.
type Gate struct {
	mu     sync.RWMutex
	closed bool
	active sync.WaitGroup
}

// Enter reports whether the work may start; if so, the caller must call
// Leave when it ends.
func (g *Gate) Enter() bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return false
	}
	g.active.Add(1)
	return true
}

// Leave ends work that Enter admitted.
func (g *Gate) Leave() { g.active.Done() }

// Close refuses new work and waits until all admitted work has left. It
// may be called more than once.
func (g *Gate) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.active.Wait()
}
