package queryproto

import (
	"sync/atomic"

	"github.com/credmesh/credmesh/queryproto/querypb"
)

// Stats are a server's counters since start, for metrics.
type Stats struct {
	Heads, Payments, CreditQueries uint64 // decoded requests per operation; Payments counts each lookup hash of a batch
	Statuses                       map[querypb.Status]uint64
	Resets                         uint64 // streams reset without a response
}

type serverCounters struct {
	heads, payments, credit, resets atomic.Uint64
	status                          [8]atomic.Uint64
}

func statusIndex(s querypb.Status) int {
	if s < 0 || int(s) >= 8 {
		return 0
	}
	return int(s)
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	out := Stats{
		Heads:         s.stats.heads.Load(),
		Payments:      s.stats.payments.Load(),
		CreditQueries: s.stats.credit.Load(),
		Resets:        s.stats.resets.Load(),
		Statuses:      make(map[querypb.Status]uint64),
	}
	for i := range s.stats.status {
		if n := s.stats.status[i].Load(); n > 0 {
			out.Statuses[querypb.Status(i)] = n
		}
	}
	return out
}
