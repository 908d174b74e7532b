package builder_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
)

// The crash test runs the builder in a child process (this test binary,
// started again with crashChildEnv set), kills it with SIGKILL while entries
// are being submitted, and restarts it. The child prints "ack N" once entry
// N is accepted and "block H HASH" once block H is handed out for
// publishing; the parent checks those claims against the store.

const crashChildEnv = "CREDMESH_BUILDER_CRASH_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(crashChildEnv); spec != "" {
		os.Exit(crashChild(spec))
	}
	os.Exit(m.Run())
}

func crashParams() chain.Params {
	p := chaintest.Params()
	p.MaxBlockEntries = 16
	p.BlockInterval = 10 * time.Millisecond
	return p
}

// crashChild submits entries first, first+1, ... from several goroutines
// until it is killed.
func crashChild(spec string) int {
	dir, firstStr, _ := strings.Cut(spec, ",")
	first, _ := strconv.Atoi(firstStr)
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		fmt.Println("error", err)
		return 2
	}
	b, err := builder.New(builder.Config{Params: crashParams(), Members: chaintest.Members(1), Key: chaintest.Key(0), Store: st})
	if err != nil {
		fmt.Println("error", err)
		return 2
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		fmt.Fprintf(out, format+"\n", args...)
		out.Flush()
		mu.Unlock()
	}
	go func() {
		for blk := range b.Sealed() {
			say("block %d %s", blk.Height, blk.Hash)
		}
	}()
	go b.Run(context.Background())
	say("ready")
	var next = make(chan int)
	go func() {
		for n := first; ; n++ {
			next <- n
		}
	}()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range next {
				e := &chainpb.Entry{Body: &chainpb.Entry_CreditEvent{CreditEvent: chaintest.CreditEvent(n)}}
				errs, err := b.Submit(context.Background(), []*chainpb.Entry{e})
				if err != nil || errs[0] != nil {
					say("error %d %v %v", n, err, errs)
					return
				}
				say("ack %d", n)
			}
		}()
	}
	wg.Wait()
	return 1
}

func TestCrashNeverLosesAcceptedEntries(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns and kills 24 processes; skipped with -short")
	}
	dir := t.TempDir()
	acked := map[int]bool{}
	published := map[uint64]string{} // height → hash, across every run
	const kills = 24
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range kills + 1 {
		first := run * 1_000_000
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%d", crashChildEnv, dir, first))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		if !lines.Scan() || lines.Text() != "ready" {
			cmd.Process.Kill()
			t.Fatalf("run %d: child did not start: %q", run, lines.Text())
		}
		// Let it work for a while, then kill it mid-submission.
		killAfter := time.Duration(20+rng.IntN(120)) * time.Millisecond
		if run == kills {
			killAfter = 300 * time.Millisecond
		}
		timer := time.AfterFunc(killAfter, func() { cmd.Process.Signal(syscall.SIGKILL) })
		for lines.Scan() {
			f := strings.Fields(lines.Text())
			switch {
			case len(f) == 2 && f[0] == "ack":
				n, _ := strconv.Atoi(f[1])
				acked[n] = true
			case len(f) == 3 && f[0] == "block":
				h, _ := strconv.ParseUint(f[1], 10, 64)
				if prev, ok := published[h]; ok && prev != f[2] {
					t.Fatalf("run %d: height %d published as %s and as %s", run, h, prev, f[2])
				}
				published[h] = f[2]
			case len(f) > 0 && f[0] == "error":
				t.Fatalf("run %d: child: %s", run, lines.Text())
			}
		}
		timer.Stop()
		cmd.Wait()
	}
	if len(acked) < 100 {
		t.Fatalf("only %d entries acknowledged over all runs; the test did not exercise the builder", len(acked))
	}

	// Recover once more in-process, seal what is pending, and check the store.
	h := start(t, dir, crashParams())
	go func() {
		for range h.b.Sealed() {
		}
	}()
	if err := h.b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.cancel()
	<-h.runErr
	st := h.st
	defer st.Close()
	head := st.Head(chaintest.Issuer(0))
	if head == nil {
		t.Fatal("no chain after the runs")
	}
	var prev *chain.SignedHeader
	for height := uint64(1); height <= head.Height; height++ {
		b, err := st.Block(chaintest.Issuer(0), height)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := chain.ValidateBlock(b, prev, chaintest.Members(1), crashParams(), time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("stored block %d: %v", height, err)
		}
		if hash, ok := published[height]; ok && hash != b.Hash.String() {
			t.Fatalf("height %d was published as %s but the store holds %s", height, hash, b.Hash)
		}
		prev = b.SignedHeader
	}
	for n := range acked {
		key := chain.EntryKey(&chainpb.Entry{Body: &chainpb.Entry_CreditEvent{CreditEvent: chaintest.CreditEvent(n)}})
		if ok, err := st.HasKey(chaintest.Issuer(0), key); err != nil || !ok {
			t.Fatalf("entry %d was acknowledged but is in no block (%v)", n, err)
		}
	}
	if pending, _, _ := st.LoadPending(); len(pending) != 0 {
		t.Fatalf("%d entries still pending after the flush", len(pending))
	}
	t.Logf("%d kills, %d entries acknowledged, %d blocks, %d of them seen published", kills, len(acked), head.Height, len(published))
}
