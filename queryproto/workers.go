package queryproto

import (
	"runtime"
	"sync"
)

// workers run the part of a request that needs a deep stack — decoding
// it, reading the store, encoding the answer — on long-lived goroutines.
// libp2p runs every stream's handler on a goroutine of its own, whose
// stack starts small; that work grew it by copying once or twice per
// request, about 5 % of a payment lookup's CPU in the profile
// (docs/BENCHMARKS.md). A worker's stack grows once. When every worker is
// busy the handler does the work itself, so a slow request (a credit
// query waits for its receipt) never queues another behind it.
type workers struct {
	jobs chan *job
	quit chan struct{}
	wg   sync.WaitGroup
}

// job is one request's work and the signal that it is done.
type job struct {
	fn   func()
	done chan struct{}
}

var jobs = sync.Pool{New: func() any { return &job{done: make(chan struct{}, 1)} }}

// workersPerCore is how many workers there are per GOMAXPROCS: more than
// one, since a store read may wait on the disk.
const workersPerCore = 4

func startWorkers() *workers {
	w := &workers{jobs: make(chan *job), quit: make(chan struct{})}
	for range workersPerCore * runtime.GOMAXPROCS(0) {
		w.wg.Go(func() {
			for {
				select {
				case j := <-w.jobs:
					j.fn()
					j.done <- struct{}{}
				case <-w.quit:
					return
				}
			}
		})
	}
	return w
}

// do runs fn on an idle worker and waits for it, or runs it here if none
// is idle.
func (w *workers) do(fn func()) {
	j := jobs.Get().(*job)
	j.fn = fn
	select {
	case w.jobs <- j:
		<-j.done
	default:
		fn()
	}
	j.fn = nil
	jobs.Put(j)
}

// stop ends the workers once they are done with their jobs.
func (w *workers) stop() {
	close(w.quit)
	w.wg.Wait()
}
