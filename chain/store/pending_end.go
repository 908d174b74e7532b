package store

import (
	"encoding/binary"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// logEnd records in the database, fsynced, how far the pending log reached
// (the sequence number after its last acknowledged record). After every
// AddPending a goroutine of its own writes the newest end, one write in
// flight and then the latest value, so the write overlaps the builder's
// work instead of delaying an acknowledgement (Pebble shares the fsync
// with a sealed-block batch when they meet). Every record below the
// recorded end was acknowledged, so LoadPending can tell its loss from a
// torn tail; the records acknowledged while the last write was in flight
// are the only ones whose truncation cannot be noticed.
type logEnd struct {
	mu   sync.Mutex
	next uint64
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

// noteLogEnd asks for next to be recorded as the log's end.
func (s *Store) noteLogEnd(next uint64) {
	e := &s.logEnd
	e.mu.Lock()
	if e.wake == nil {
		e.wake, e.stop, e.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
		go s.writeLogEnd(e.wake, e.stop, e.done)
	}
	e.next = max(e.next, next)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (s *Store) writeLogEnd(wake, stop <-chan struct{}, done chan<- struct{}) {
	e := &s.logEnd
	defer close(done)
	var written uint64
	flush := func() {
		e.mu.Lock()
		v := e.next
		e.mu.Unlock()
		if v <= written {
			return
		}
		if s.room(onlyIfNoRoom, 64) != nil {
			return // no room to write even this; the next batch tries again
		}
		if err := s.db.Set(loggedKey, binary.BigEndian.AppendUint64(nil, v), pebble.Sync); err != nil {
			s.log.Error("recording the end of the pending log", "err", err)
			return
		}
		written = v
	}
	for {
		select {
		case <-wake:
			flush()
		case <-stop:
			flush()
			return
		}
	}
}

// stopLogEnd records the last end and stops the writer, before Close.
func (s *Store) stopLogEnd() {
	e := &s.logEnd
	e.mu.Lock()
	stop, done := e.stop, e.done
	e.stop = nil
	e.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}
