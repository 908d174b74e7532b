package builder_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
)

// The crash-filesystem test runs the builder and its store on Pebble's
// crash-simulating in-memory file system: a CrashClone is the disk as a
// power loss at that moment could leave it, with exactly the synced data or
// with a random part of the unsynced data too (whole 4 KiB blocks, in any
// order). Unlike SIGKILL, which leaves the page cache intact, it catches a
// missing fsync.
//
// Each run submits under load and cuts at several random moments (after a
// random number of acknowledgements); every clone is reopened and checked,
// and the last one is the disk the next run starts from.

const crashDataDir = "/data"

type crashImage struct {
	fs        *vfs.MemFS
	unsynced  int
	mustHave  []int
	handedOut []sealedBlock
}

type sealedBlock struct {
	height uint64
	hash   string
}

func TestCrashFileSystemNeverLosesAcknowledgedEntries(t *testing.T) { testCrashFileSystem(t, 1) }

// Submissions of 12 entries, with blocks of 16, make most group commits
// complete a block, so most cuts fall in the path that seals straight from
// acceptance (direct.go): block batch and log append side by side.
func TestCrashFileSystemSealingFromAcceptance(t *testing.T) { testCrashFileSystem(t, 12) }

// testCrashFileSystem cuts the disk while 4 submitters submit perSubmit
// entries at a time.
func testCrashFileSystem(t *testing.T, perSubmit int) {
	const runs, cutsPerRun = 10, 6
	perRun := 400 * max(1, perSubmit/4)
	rng := rand.New(rand.NewPCG(3, 4))
	fs := vfs.NewCrashableMem()
	var (
		entryNo   atomic.Int64
		durable   []int                 // acknowledged before the cut each later run started from
		published = map[uint64]string{} // height → hash handed out, across runs
		cuts      int
	)
	for run := range runs {
		st, err := store.Open(crashDataDir, store.Options{FS: fs, CacheBytes: 4 << 20})
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		b, err := builder.New(builder.Config{Params: crashParams(), Members: chaintest.Members(1), Key: chaintest.Key(0), Store: st})
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		runDone := make(chan error, 1)
		go func() { runDone <- b.Run(ctx) }()

		var (
			mu    sync.Mutex
			acked []int
			pub   []sealedBlock
		)
		sealedDone := make(chan struct{})
		go func() {
			defer close(sealedDone)
			for blk := range b.Sealed() {
				mu.Lock()
				pub = append(pub, sealedBlock{blk.Height, blk.Hash.String()})
				mu.Unlock()
			}
		}()
		ackSignal := make(chan struct{}, perRun)
		var budget atomic.Int64
		budget.Store(int64(perRun))
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					if budget.Add(-int64(perSubmit)) < 0 {
						return
					}
					ns := make([]int, perSubmit)
					es := make([]*chainpb.Entry, perSubmit)
					for i := range es {
						ns[i] = int(entryNo.Add(1))
						es[i] = &chainpb.Entry{Body: &chainpb.Entry_CreditEvent{CreditEvent: chaintest.CreditEvent(ns[i])}}
					}
					errs, err := b.Submit(ctx, es)
					if err != nil {
						return // stopped
					}
					for i, n := range ns {
						if errors.Is(errs[i], builder.ErrPoolFull) {
							continue
						}
						if errs[i] != nil {
							t.Errorf("run %d: entry %d: %v", run, n, errs[i])
							return
						}
						mu.Lock()
						acked = append(acked, n)
						mu.Unlock()
						ackSignal <- struct{}{}
					}
				}
			}()
		}

		// Cut after random numbers of acknowledgements, while the
		// submitters go on.
		at := make([]int, cutsPerRun)
		for i := range at {
			at[i] = 1 + rng.IntN(perRun*3/4)
		}
		slices.Sort(at)
		seen := 0
		var cloned []crashImage
		for cut := range cutsPerRun {
			for ; seen < at[cut]; seen++ {
				select {
				case <-ackSignal:
				case <-time.After(20 * time.Second):
					t.Fatalf("run %d: no acknowledgement in 20 s", run)
				}
			}
			if cut == cutsPerRun-1 {
				// The last cut is the disk the next run starts from: it
				// comes after this run handed out blocks of its own, so
				// that every run crosses sealing however slow the machine.
				awaitHandedOut(t, &mu, &pub, 2, run)
			}
			mu.Lock()
			mustHave := append(append([]int(nil), durable...), acked...)
			handedOut := append([]sealedBlock(nil), pub...)
			mu.Unlock()
			cfg := vfs.CrashCloneCfg{}
			if cut%2 == 1 {
				cfg = vfs.CrashCloneCfg{UnsyncedDataPercent: 1 + rng.IntN(99), RNG: rand.New(rand.NewPCG(uint64(run), uint64(cut)))}
			}
			cloned = append(cloned, crashImage{fs.CrashClone(cfg), cfg.UnsyncedDataPercent, mustHave, handedOut})
			cuts++
		}
		cancel()
		wg.Wait()
		<-sealedDone
		if err := <-runDone; err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		st.Close()
		acks := len(acked)

		// Check every image, after the run so that the cuts fall while
		// the submitters are busy. The next run starts from the last one
		// as the crash left it, not as checking it left it.
		last := cloned[len(cloned)-1]
		fs = last.fs.CrashClone(vfs.CrashCloneCfg{})
		durable = last.mustHave
		for _, sb := range last.handedOut {
			if prev, ok := published[sb.height]; ok && prev != sb.hash {
				t.Fatalf("run %d: height %d was handed out as %s and, in an earlier run, as %s", run, sb.height, sb.hash, prev)
			}
			published[sb.height] = sb.hash
		}
		for cut, c := range cloned {
			checkClone(t, c.fs, run, cut, c.unsynced, c.mustHave, c.handedOut)
		}
		t.Logf("run %d: cuts after %v of %d acknowledgements", run, at, acks)
	}
	if cuts < 50 || len(durable) < 300 || len(published) < 20 {
		t.Fatalf("%d cuts, %d entries acknowledged, %d heights handed out: the test did not exercise the builder", cuts, len(durable), len(published))
	}
	t.Logf("%d cuts over %d runs, %d entries acknowledged, %d heights handed out", cuts, runs, len(durable), len(published))
}

// checkClone reopens a crashed disk and checks that every entry in
// mustHave is in a sealed block or the reloaded pending pool, and every
// block in handedOut is stored as it was handed out.
func checkClone(t *testing.T, fs vfs.FS, run, cut, unsynced int, mustHave []int, handedOut []sealedBlock) {
	t.Helper()
	st, err := store.Open(crashDataDir, store.Options{FS: fs, CacheBytes: 4 << 20})
	if err != nil {
		t.Fatalf("run %d cut %d (unsynced %d%%): the store does not reopen: %v", run, cut, unsynced, err)
	}
	defer st.Close()
	pending, _, err := st.LoadPending()
	if err != nil {
		t.Fatalf("run %d cut %d (unsynced %d%%): a crash left a pending log that does not load: %v", run, cut, unsynced, err)
	}
	inPool := make(map[string]bool, len(pending))
	for _, p := range pending {
		e, err := chain.DecodeEntry(p.Entry, crashParams().MaxEntryBytes)
		if err != nil {
			t.Fatalf("run %d cut %d: pending entry %d: %v", run, cut, p.Seq, err)
		}
		inPool[string(chain.EntryKey(e))] = true
	}
	iss := chaintest.Issuer(0)
	keys := make([][]byte, len(mustHave))
	for i, n := range mustHave {
		keys[i] = chain.EntryKey(&chainpb.Entry{Body: &chainpb.Entry_CreditEvent{CreditEvent: chaintest.CreditEvent(n)}})
	}
	sealed, err := st.HasKeys(iss, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range mustHave {
		if !sealed[i] && !inPool[string(keys[i])] {
			t.Fatalf("run %d cut %d (unsynced %d%%): entry %d was acknowledged before the cut but is neither sealed nor pending",
				run, cut, unsynced, n)
		}
	}
	for _, sb := range handedOut {
		blk, err := st.Block(iss, sb.height)
		if err != nil || blk.Hash.String() != sb.hash {
			t.Fatalf("run %d cut %d (unsynced %d%%): block %d was handed out as %s before the cut; the disk holds %v (%v)",
				run, cut, unsynced, sb.height, sb.hash, blk, err)
		}
	}
}

// awaitHandedOut waits until *pub holds n blocks.
func awaitHandedOut(t *testing.T, mu *sync.Mutex, pub *[]sealedBlock, n, run int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		got := len(*pub)
		mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d: %d blocks handed out in 20 s, want %d", run, got, n)
		}
		time.Sleep(time.Millisecond)
	}
}
