package store

import (
	"hash/maphash"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// recentKeys spares the duplicate-key check the memtable. Probing a key
// that does not exist costs a bloom filter per table but a full skiplist
// search in the memtable (a third of a replica's CPU before this). So
// existing probes the tables alone (IterOptions.OnlyReadGuaranteedDurable:
// the state as of the last flush) and asks this set about the rest: it
// holds a hash of every index key written since a flush that we started
// and that has finished, which is a superset of the index keys in the
// memtables. A key whose hash is in the set is probed again with the
// memtables (exact), so a hash collision costs one probe, never a wrong
// answer.
//
// Keys are added before their batch commits, so no reader can meet a key
// in a memtable that the set does not hold; a batch that fails leaves
// keys that are merely probed in full. Once the batches since the last
// rotation reach rotateBytes, the set is rotated: the current generation
// waits for a flush (DB.AsyncFlush) started after all its batches
// committed, and is dropped only when that flush is done, after Pebble has
// published the new tables to new iterators. A reader takes its answers
// from the set before it opens its iterator, so a generation dropped
// meanwhile is one whose tables that iterator sees.
//
// A database opened read-only replays its WAL into memtables that no set
// describes; there every probe reads the memtables (off).
type recentKeys struct {
	seed maphash.Seed
	off  bool
	// rotateBytes is the batch bytes after which the set rotates: about
	// the memtable size, so our flushes replace Pebble's own.
	rotateBytes int

	mu struct {
		sync.Mutex
		cur      map[uint64]struct{}
		curBytes int
		flushing []flushingKeys
	}
}

type flushingKeys struct {
	keys map[uint64]struct{}
	done <-chan struct{}
}

func newRecentKeys(off bool, rotateBytes int) *recentKeys {
	r := &recentKeys{seed: maphash.MakeSeed(), off: off, rotateBytes: rotateBytes}
	r.mu.cur = make(map[uint64]struct{})
	return r
}

func (r *recentKeys) hash(k []byte) uint64 { return maphash.Bytes(r.seed, k) }

// add records index keys about to be committed in a batch of batchBytes.
// It reports whether the set is due to rotate.
func (r *recentKeys) add(keys map[string]struct{}, batchBytes int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range keys {
		r.mu.cur[maphash.String(r.seed, k)] = struct{}{}
	}
	r.mu.curBytes += batchBytes
	return r.mu.curBytes >= r.rotateBytes
}

// rotate starts a flush of everything committed so far and moves the
// current keys to wait for it. The caller holds Store.appendMu, so no
// batch of ours commits between the last add and the flush's start.
func (r *recentKeys) rotate(db *pebble.DB) error {
	done, err := db.AsyncFlush()
	if err != nil {
		return err // the keys stay current; the next commit tries again
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mu.flushing = append(r.mu.flushing, flushingKeys{keys: r.mu.cur, done: done})
	r.mu.cur = make(map[uint64]struct{})
	r.mu.curBytes = 0
	return nil
}

// mayHold reports, for each key, whether it may sit in a memtable. It must
// be called before the iterator that probes the other keys is opened.
func (r *recentKeys) mayHold(keys [][]byte) []bool {
	out := make([]bool, len(keys))
	if r.off {
		for i := range out {
			out[i] = true
		}
		return out
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	live := r.mu.flushing[:0]
	for _, f := range r.mu.flushing {
		select {
		case <-f.done:
		default:
			live = append(live, f)
		}
	}
	clear(r.mu.flushing[len(live):])
	r.mu.flushing = live
	for i, k := range keys {
		h := r.hash(k)
		if _, ok := r.mu.cur[h]; ok {
			out[i] = true
			continue
		}
		for _, f := range live {
			if _, ok := f.keys[h]; ok {
				out[i] = true
				break
			}
		}
	}
	return out
}
