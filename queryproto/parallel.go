package queryproto

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parallelMin is the smallest count of batch items split over the cores.
// A batch's items are independent (the server's store reads, a light
// client's checks of each item's proofs), and each costs tens of
// microseconds; done one after another, a batch of 16 took about 1 ms on
// each side, which was most of its latency at half load
// (docs/BENCHMARKS.md). Below parallelMin items the goroutines cost more
// than they save.
const parallelMin = 4

// forEach calls fn(i) for every i in [0, n), on up to GOMAXPROCS
// goroutines when n is at least parallelMin, and returns when all are
// done. fn must be safe to call concurrently for different i.
func forEach(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if n < parallelMin || workers < 2 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	work := func() {
		for {
			i := int(next.Add(1)) - 1
			if i >= n {
				return
			}
			fn(i)
		}
	}
	for range workers - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
}
