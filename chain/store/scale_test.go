package store_test

import (
	"bufio"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
	"google.golang.org/protobuf/proto"
)

// TestScale builds one peer's store of SCALE_RECORDS payments (default
// 10,000,000) from four issuers' full blocks, as a replica receives them,
// while a reader looks payments up with proofs. It reports, every tenth of
// the way, the ingest rate, the process's RSS and the disk used, and the
// lookup latency at 1 M records and at the end. It runs only with
// CREDMESH_SCALE=1 (make bench-scale) and stops adding records after
// SCALE_MAX_DURATION (default 40m), reporting what it reached.
//
// The entries are realistic in size (about 240 bytes) and, unlike the
// benchmarks' bulk payments, each has its own random nonce and ciphertext,
// so compression finds in them what it would find in real sealed records:
// nothing.
//
// With SCALE_SAMPLES_DIR set it also writes scale-samples.csv there: one
// line every fiftieth of the way (see scaleSamples), which
// internal/benchplot draws.
func TestScale(t *testing.T) {
	if os.Getenv("CREDMESH_SCALE") != "1" {
		t.Skip("set CREDMESH_SCALE=1 (make bench-scale) to build a store of SCALE_RECORDS records")
	}
	total := envInt(t, "SCALE_RECORDS", 10_000_000)
	maxDur := 40 * time.Minute
	if v := os.Getenv("SCALE_MAX_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("SCALE_MAX_DURATION: %v", err)
		}
		maxDur = d
	}
	dir := t.TempDir()
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	const issuers = 4
	gens := make([]*scaleGen, issuers)
	for i := range gens {
		gens[i] = newScaleGen(i)
	}
	reader := startScaleReader(s, gens)
	defer reader.stop()

	samples := newScaleSamples(t, total)
	defer samples.close()

	per := chaintest.PerBlock()
	step := max(total/10, per)
	start, lastAt, lastN := time.Now(), time.Now(), 0
	var rawBytes int64
	n := 0
	t.Logf("building %d records in %s (stops after %s)", total, dir, maxDur)
	for n < total {
		if time.Since(start) > maxDur {
			t.Logf("stopped after %s at %d records", maxDur, n)
			break
		}
		g := gens[(n/per)%issuers]
		vb, raw := g.block(min(per, total-n))
		if err := s.Append(vb); err != nil {
			t.Fatal(err)
		}
		g.stored.Store(int64(g.count))
		rawBytes += raw
		n += len(vb.Entries)
		samples.maybe(n, rawBytes, dir, reader)
		if n/step != (n-len(vb.Entries))/step || n == total {
			now := time.Now()
			t.Logf("%9d records  %7.0f records/s since last  %7.0f overall  RSS %4d MiB (peak %4d)  disk %5.0f MiB = %.2f × entry bytes  lookups so far %d (p50 %s p99 %s)",
				n, float64(n-lastN)/now.Sub(lastAt).Seconds(), float64(n)/now.Sub(start).Seconds(),
				rssMiB("VmRSS"), rssMiB("VmHWM"), float64(diskBytes(t, dir))/(1<<20), float64(diskBytes(t, dir))/float64(rawBytes),
				reader.count(), reader.quantile(0.5), reader.quantile(0.99))
			lastAt, lastN = now, n
		}
		if n >= 1_000_000 && n-len(vb.Entries) < 1_000_000 || n == total {
			lookupLatency(t, s, gens, n)
		}
	}
	reader.stop()
	tables, wal, other := diskParts(t, dir)
	t.Logf("disk at the end: tables %.0f MiB (%.2f × entry bytes), WAL %.0f MiB, the rest %.0f MiB",
		float64(tables)/(1<<20), float64(tables)/float64(rawBytes), float64(wal)/(1<<20), float64(other)/(1<<20))
	t.Logf("done: %d records, %.0f MiB of entries, in %s (%.0f records/s); peak RSS %d MiB; disk %.0f MiB = %.2f × entry bytes",
		n, float64(rawBytes)/(1<<20), time.Since(start).Round(time.Second), float64(n)/time.Since(start).Seconds(),
		rssMiB("VmHWM"), float64(diskBytes(t, dir))/(1<<20), float64(diskBytes(t, dir))/float64(rawBytes))
}

// lookupLatency times 2,000 lookups with proof of random stored payments,
// one at a time, with ingest paused.
func lookupLatency(t *testing.T, s *store.Store, gens []*scaleGen, n int) {
	const k = 2000
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	lat := make([]time.Duration, 0, k)
	for range k {
		g := gens[rng.IntN(len(gens))]
		if g.count == 0 {
			continue
		}
		t0 := time.Now()
		locs, err := s.LookupPayment(g.lookup(rng.IntN(g.count)))
		if err != nil || len(locs) != 1 {
			t.Fatal(locs, err)
		}
		if _, err := s.Proof(locs[0]); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	t.Logf("lookup with proof at %d records (%d lookups, ingest paused): p50 %s  p90 %s  p99 %s  max %s",
		n, len(lat), lat[len(lat)/2], lat[len(lat)*9/10], lat[len(lat)*99/100], lat[len(lat)-1])
}

// scaleGen makes one issuer's chain, block by block.
type scaleGen struct {
	issuer int
	head   *chain.SignedHeader
	count  int          // payments made so far
	stored atomic.Int64 // payments appended, for the reader
	rng    *rand.ChaCha8
	tmpl   *chainpb.Entry
}

func newScaleGen(issuer int) *scaleGen {
	var seed [32]byte
	seed[0] = byte(issuer)
	tmpl := new(chainpb.Entry)
	if err := proto.Unmarshal(chaintest.PaymentEntry(issuer, 0), tmpl); err != nil {
		panic(err)
	}
	return &scaleGen{issuer: issuer, rng: rand.NewChaCha8(seed), tmpl: tmpl}
}

func (g *scaleGen) lookup(i int) []byte {
	return chaintest.BulkLookup(g.issuer<<40 | i)
}

// block returns the next block of n payments, verified by construction
// (as the builder's own blocks are), and the bytes of its entries.
func (g *scaleGen) block(n int) (*chain.VerifiedBlock, int64) {
	data := make([][]byte, n)
	decoded := make([]*chainpb.Entry, n)
	keys := make([][]byte, n)
	var raw int64
	for i := range n {
		e := proto.Clone(g.tmpl).(*chainpb.Entry)
		p := e.GetPayment()
		p.Lookup = g.lookup(g.count)
		p.Nonce = append([]byte(nil), p.Nonce...)
		p.Ciphertext = append([]byte(nil), p.Ciphertext...)
		g.rng.Read(p.Nonce)
		g.rng.Read(p.Ciphertext)
		g.count++
		b, err := chain.EncodeEntry(e)
		if err != nil {
			panic(err)
		}
		data[i], decoded[i], keys[i] = b, e, chain.EntryKey(e)
		raw += int64(len(b))
	}
	blk, tree, err := chain.SealBlock(chaintest.NetworkID, g.head, data, chaintest.Key(g.issuer), chaintest.Epoch.Add(time.Duration(g.count)*time.Millisecond))
	if err != nil {
		panic(err)
	}
	g.head = blk.SignedHeader
	return &chain.VerifiedBlock{Block: blk, Decoded: decoded, Keys: keys, Tree: tree}, raw
}

// scaleReader looks up random stored payments with proofs, one at a time
// and at most one a millisecond (a steady query load, not a contest for
// the cores), for as long as the store is being built.
type scaleReader struct {
	mu   sync.Mutex
	lat  []time.Duration
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

func startScaleReader(s *store.Store, gens []*scaleGen) *scaleReader {
	r := &scaleReader{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		rng := rand.New(rand.NewPCG(3, 3))
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-r.quit:
				return
			case <-tick.C:
			}
			g := gens[rng.IntN(len(gens))]
			stored := int(g.stored.Load())
			if stored == 0 {
				continue
			}
			t0 := time.Now()
			locs, err := s.LookupPayment(g.lookup(rng.IntN(stored)))
			if err == nil && len(locs) == 1 {
				_, err = s.Proof(locs[0])
			}
			if err != nil || len(locs) != 1 {
				panic(fmt.Sprint("lookup during ingest: ", locs, err))
			}
			r.mu.Lock()
			r.lat = append(r.lat, time.Since(t0))
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *scaleReader) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.lat)
}

func (r *scaleReader) quantile(q float64) time.Duration { return r.quantileSince(0, q) }

// quantileSince is the q-quantile of the lookups after the first from.
func (r *scaleReader) quantileSince(from int, q float64) time.Duration {
	r.mu.Lock()
	l := slices.Clone(r.lat[min(from, len(r.lat)):])
	r.mu.Unlock()
	if len(l) == 0 {
		return 0
	}
	slices.Sort(l)
	return l[int(q*float64(len(l)-1))]
}

func (r *scaleReader) stop() {
	r.once.Do(func() { close(r.quit) })
	<-r.done
}

func rssMiB(field string) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return kb >> 10
		}
	}
	return -1
}

func diskBytes(t *testing.T, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil // a file removed by a compaction meanwhile
		}
		if info, err := d.Info(); err == nil {
			n += info.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// diskParts splits the disk used into Pebble's tables, its WAL files and
// the rest (MANIFEST, OPTIONS, the pending log).
func diskParts(t *testing.T, dir string) (tables, wal, other int64) {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		switch filepath.Ext(path) {
		case ".sst":
			tables += info.Size()
		case ".log":
			if filepath.Base(filepath.Dir(path)) != "pending" {
				wal += info.Size()
				return nil
			}
			other += info.Size()
		default:
			other += info.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tables, wal, other
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}
