package simnet

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/credmesh/credmesh/chain/privacy"
)

// ledger is what the workloads had accepted: the entry key of every
// published record per issuer (to check that none was lost; private credit
// events are on no chain), the payments' order IDs (for lookups) and the
// subjects with credit events (for reports).
type ledger struct {
	mu        sync.Mutex
	keys      map[int][][]byte
	payments  []payment
	subjects  []subject
	seen      map[privacy.Ref]bool
	submitted int
	accepted  int
	private   int // accepted, kept private by the lender
	refused   int
}

type payment struct {
	orderID string
	at      time.Time
}

func newLedger() *ledger {
	return &ledger{keys: make(map[int][][]byte), seen: make(map[privacy.Ref]bool)}
}

func (l *ledger) add(issuer int, key []byte, orderID string, subj *subject, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if key != nil {
		l.keys[issuer] = append(l.keys[issuer], key)
	} else {
		l.private++
	}
	l.accepted++
	if orderID != "" {
		l.payments = append(l.payments, payment{orderID: orderID, at: at})
	}
	if subj != nil && !l.seen[subj.ref] {
		l.seen[subj.ref] = true
		l.subjects = append(l.subjects, *subj)
	}
}

func (l *ledger) count(submitted, refused int) {
	l.mu.Lock()
	l.submitted += submitted
	l.refused += refused
	l.mu.Unlock()
}

// randomPayment picks a payment accepted before cutoff.
func (l *ledger) randomPayment(rng *rand.Rand, cutoff time.Time) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// payments are in acceptance order: find how many are old enough.
	n := len(l.payments)
	for n > 0 && l.payments[n-1].at.After(cutoff) {
		n--
	}
	if n == 0 {
		return "", false
	}
	return l.payments[rng.IntN(n)].orderID, true
}

func (l *ledger) randomSubject(rng *rand.Rand) (subject, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.subjects) == 0 {
		return subject{}, false
	}
	return l.subjects[rng.IntN(len(l.subjects))], true
}

func (l *ledger) keysOf(issuer int) [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([][]byte(nil), l.keys[issuer]...)
}

// budget is a bound on a count shared by several loops.
type budget struct {
	mu   sync.Mutex
	left int
}

// take returns up to n units, 0 once the budget is spent.
func (b *budget) take(n int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n = min(n, b.left)
	b.left -= n
	return n
}
