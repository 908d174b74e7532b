package p2p

import (
	"context"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Inbound status exchanges are capped in number. Serving one costs a
// status read (up to 1 MiB), up to one signature check per member and two
// per piece of evidence, and our own status written back; a member that
// opened status streams as fast as it could would have us do that work for
// each. So a member's inbound status is served at most statusPerWindow
// times in any statusWindow, at most statusPerWindow of them at once, and
// at most maxStatusServing are served at once in all; a stream over the cap
// is reset before anything is read. Two per second, not one: an honest
// member opens two in a row, when identify completes and when we join the
// blocks topic. The window is measured on the local monotonic clock, not
// Config.Now (the time blocks are judged at).
//
// An honest exchange that comes in over the cap (many members starting at
// once, or a tick right after those two) is reset like any other failure;
// the opener tries once more after statusRetryAfter and a random part of it
// (statusWithRetry), by which time the window has moved on.
const (
	statusWindow     = time.Second
	statusPerWindow  = 2
	maxStatusServing = 32
	statusRetryAfter = statusWindow
)

// admitStatus reserves the serving of an inbound status exchange from p at
// now; it reports false when p or everyone is over the cap. An admitted
// exchange ends with statusDone.
func (st *state) admitStatus(p peer.ID, now time.Time) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	served := slices.DeleteFunc(st.statusServed[p], func(t time.Time) bool { return now.Sub(t) >= statusWindow })
	if len(served) >= statusPerWindow || st.statusInbound[p] >= statusPerWindow || st.statusServing >= maxStatusServing {
		st.setServedLocked(p, served)
		return false
	}
	st.setServedLocked(p, append(served, now))
	st.statusInbound[p]++
	st.statusServing++
	return true
}

func (st *state) setServedLocked(p peer.ID, served []time.Time) {
	if len(served) == 0 {
		delete(st.statusServed, p)
		return
	}
	st.statusServed[p] = served
}

// statusDone ends an exchange admitStatus admitted.
func (st *state) statusDone(p peer.ID) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.statusServing--
	if st.statusInbound[p]--; st.statusInbound[p] <= 0 {
		delete(st.statusInbound, p)
	}
}

// statusWithRetry exchanges status with p and, if that fails while we
// run, once more after statusRetryAfter and a random part of it: the
// other side may have been over its cap.
func (n *Network) statusWithRetry(ctx context.Context, p peer.ID) {
	if n.exchangeStatus(ctx, p) == nil || ctx.Err() != nil {
		return
	}
	wait := time.NewTimer(statusRetryAfter + rand.N(statusRetryAfter))
	defer wait.Stop()
	select {
	case <-ctx.Done():
	case <-wait.C:
		n.exchangeStatus(ctx, p)
	}
}
