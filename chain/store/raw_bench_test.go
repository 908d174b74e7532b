package store

import (
	"encoding/binary"
	"log/slog"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

// Raw Pebble's synced-batch rate on this machine is the baseline the
// ingest and replica benchmarks are measured against: what the disk and
// Pebble allow before any work of ours (see docs/BENCHMARKS.md).
const (
	rawWriters     = 8
	rawBatch       = 256
	rawRecordBytes = 240
)

// BenchmarkRawPebbleSyncedBatches writes, with Open's Pebble options,
// rawWriters goroutines × b.N synced batches of rawBatch records of
// rawRecordBytes bytes under keys shaped like entry keys (prefix, issuer,
// height, index): the same records and acknowledgements as
// BenchmarkIssuerIngest, with nothing of ours in between.
func BenchmarkRawPebbleSyncedBatches(b *testing.B) {
	cache := pebble.NewCache(128 << 20)
	defer cache.Unref()
	opts := pebbleOptions(Options{Logger: slog.Default()}, cache, &health{log: slog.Default()})
	db, err := pebble.Open(b.TempDir(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	value := make([]byte, rawRecordBytes)
	for i := range value {
		value[i] = byte(i * 7)
	}
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := range rawWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var iss [32]byte
			iss[0] = byte(w)
			key := make([]byte, 0, 1+32+8+4)
			for n := range b.N {
				batch := db.NewBatch()
				for i := range rawBatch {
					key = append(append(key[:0], prefixEntries), iss[:]...)
					key = binary.BigEndian.AppendUint64(key, uint64(n))
					key = binary.BigEndian.AppendUint32(key, uint32(i))
					if err := batch.Set(key, value, nil); err != nil {
						b.Error(err)
						return
					}
				}
				if err := batch.Commit(pebble.Sync); err != nil {
					b.Error(err)
					return
				}
				batch.Close()
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(rawWriters*rawBatch*b.N)/b.Elapsed().Seconds(), "records/s")
}
