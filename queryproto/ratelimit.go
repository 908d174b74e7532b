package queryproto

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// bucket is a token bucket. Time is passed in, so tests drive it.
type bucket struct {
	tokens float64
	last   time.Time
}

// refill adds the tokens earned since the last call, up to burst.
func (b *bucket) refill(now time.Time, rate, burst float64) {
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(burst, b.tokens+el*rate)
		b.last = now
	}
}

// limiter grants a request when both the requesting peer's bucket and the
// global bucket hold a token, and then takes one from each.
type limiter struct {
	peerRate, peerBurst     float64
	globalRate, globalBurst float64

	mu     sync.Mutex
	global bucket
	peers  map[peer.ID]*bucket
	calls  int
}

// sweepEvery is how many calls pass between sweeps of idle peers' buckets.
const sweepEvery = 4096

func newLimiter(peerRate, peerBurst, globalRate, globalBurst float64, now time.Time) *limiter {
	return &limiter{
		peerRate: peerRate, peerBurst: peerBurst,
		globalRate: globalRate, globalBurst: globalBurst,
		global: bucket{tokens: globalBurst, last: now},
		peers:  make(map[peer.ID]*bucket),
	}
}

// allow reports whether p may make a request at now, and if so counts it.
func (l *limiter) allow(p peer.ID, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.calls%sweepEvery == 0 {
		l.sweepLocked(now)
	}
	b := l.peers[p]
	if b == nil {
		b = &bucket{tokens: l.peerBurst, last: now}
		l.peers[p] = b
	}
	b.refill(now, l.peerRate, l.peerBurst)
	l.global.refill(now, l.globalRate, l.globalBurst)
	if b.tokens < 1 || l.global.tokens < 1 {
		return false
	}
	b.tokens--
	l.global.tokens--
	return true
}

// sweepLocked forgets the buckets that have refilled completely: a new
// bucket starts full, so forgetting them changes nothing.
func (l *limiter) sweepLocked(now time.Time) {
	for p, b := range l.peers {
		b.refill(now, l.peerRate, l.peerBurst)
		if b.tokens >= l.peerBurst {
			delete(l.peers, p)
		}
	}
}
