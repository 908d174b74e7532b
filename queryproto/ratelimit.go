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

// pool is a shared bucket with its rate and size.
type pool struct {
	rate, burst float64
	b           bucket
}

// limiter grants a request when the requesting peer's own bucket and the
// bucket of its class both hold a token, and then takes one from each.
// The classes are members (peers of the genesis) and clients (every other
// peer: light clients, anyone). A peer ID costs nothing to make, so any
// number of clients together draw on the clients' bucket only, and can
// never spend what members' requests need; a member cannot be
// impersonated, since the peer is the stream's authenticated remote.
type limiter struct {
	peerRate, peerBurst float64

	mu      sync.Mutex
	members pool
	clients pool
	peers   map[peer.ID]*bucket
	calls   int
}

// sweepEvery is how many calls pass between sweeps of idle peers' buckets.
const sweepEvery = 4096

// limits are the rates (tokens per second) and bucket sizes of a limiter.
type limits struct {
	peerRate, peerBurst       float64
	membersRate, membersBurst float64
	clientsRate, clientsBurst float64
}

func newLimiter(l limits, now time.Time) *limiter {
	return &limiter{
		peerRate: l.peerRate, peerBurst: l.peerBurst,
		members: pool{rate: l.membersRate, burst: l.membersBurst, b: bucket{tokens: l.membersBurst, last: now}},
		clients: pool{rate: l.clientsRate, burst: l.clientsBurst, b: bucket{tokens: l.clientsBurst, last: now}},
		peers:   make(map[peer.ID]*bucket),
	}
}

// allow reports whether p, a member or not, may make a request at now, and
// if so counts it.
func (l *limiter) allow(p peer.ID, member bool, now time.Time) bool {
	return l.allowN(p, member, 1, now)
}

// allowN is allow for n requests at once (a payment batch of n + 1 lookup
// hashes, after the token its stream took): all of them or none.
func (l *limiter) allowN(p peer.ID, member bool, n int, now time.Time) bool {
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
	shared := &l.clients
	if member {
		shared = &l.members
	}
	b.refill(now, l.peerRate, l.peerBurst)
	shared.b.refill(now, shared.rate, shared.burst)
	need := float64(n)
	if b.tokens < need || shared.b.tokens < need {
		return false
	}
	b.tokens -= need
	shared.b.tokens -= need
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
