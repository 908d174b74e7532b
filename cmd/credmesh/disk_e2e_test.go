package main_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/records"
)

// The disk-space settings of the full-disk test: a 40 MiB tmpfs, 8 MiB kept
// free for sealing, others' blocks stopped below 4 MiB, a 4 MiB ballast.
const (
	tmpfsMiB      = 40
	testMinFreeMB = 8
	testFloorMB   = 4
	testBallastMB = 4
	// logWindow is how long the full peer is hammered while its log is
	// measured: a sixth of the 30 s of the requirement, so its bound is a
	// sixth of 2 MiB.
	logWindow   = 5 * time.Second
	maxLogBytes = (2 << 20) / 6
)

// A peer whose home is a 40 MiB tmpfs, filled by submissions: once the
// disk is nearly full submissions get 507 (the CLI says so), nothing
// panics, lookups and status are still served, the log stays small and the
// CPU idle while it is hammered, SIGTERM is obeyed, it restarts on the
// still-full disk, and after the tmpfs is enlarged it accepts again with
// every record it acknowledged in its chain and in the other member's.
func TestFullDiskRefusesWith507AndRecovers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	began := time.Now()
	peers := setupNetwork(t, "Tax Bureau", "Bank A")
	tax, bank := peers[0], peers[1]
	moveHomeToTmpfs(t, tax)
	taxLog := new(syncBuffer)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the full-disk peer's log:\n%s", tail(taxLog.String()))
		}
	})
	tax.startWith(t, taxLog)
	bank.start(t)
	waitSealing(t, tax, bank)

	// Fill the disk from two clients. Sealing frees the pending log's space
	// and a flush the WAL's reserve, so a 507 can be followed by more
	// acceptances: the disk is full once nothing was accepted for 3 s.
	acked := newAckSet()
	var next struct {
		sync.Mutex
		n int
	}
	batch := func() ([]records.Record, []string) {
		next.Lock()
		first := next.n
		next.n += 1000
		next.Unlock()
		recs := make([]records.Record, 1000)
		ids := make([]string, 1000)
		for i := range recs {
			recs[i] = records.SamplePayment("tax", first+i, 1000)
			ids[i] = recs[i].OrderID
		}
		return recs, ids
	}
	var lastAccepted atomic.Int64
	lastAccepted.Store(time.Now().UnixNano())
	// submit sends one batch: 507 is false, an accepted batch true.
	submit := func(c *api.Client) (bool, error) {
		recs, ids := batch()
		resp, err := c.Submit(context.Background(), recs)
		var apiErr *api.Error
		if errors.As(err, &apiErr) && apiErr.Status == 507 {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		acked.add(ids, resp.Results)
		if resp.Accepted != len(recs) {
			// A submission that completed blocks before the disk crossed
			// the reserve keeps those records (they are durable and
			// acknowledged) and refuses the rest, each for lack of space.
			for _, r := range resp.Results {
				if r.Status != api.StatusAccepted && !strings.Contains(r.Error, "not enough free disk space") {
					return false, fmt.Errorf("%d of %d records refused without a 507 or a lack of space: %+v", len(recs)-resp.Accepted, len(recs), r)
				}
			}
			if resp.Accepted > 0 {
				lastAccepted.Store(time.Now().UnixNano())
			}
			return false, nil
		}
		lastAccepted.Store(time.Now().UnixNano())
		return true, nil
	}
	var wg sync.WaitGroup
	fillErr := make(chan error, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := tax.client()
			for range 5000 { // bounded: 5M records would be 100 times the disk
				ok, err := submit(c)
				if err != nil {
					fillErr <- err
					return
				}
				if !ok {
					if time.Since(time.Unix(0, lastAccepted.Load())) > 3*time.Second {
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			fillErr <- errors.New("the disk never filled")
		}()
	}
	wg.Wait()
	close(fillErr)
	for err := range fillErr {
		t.Fatalf("filling the disk: %v\n%s", err, tail(taxLog.String()))
	}
	t.Logf("disk full after %d acknowledged records, %s since the start", acked.len(), time.Since(began).Round(time.Second))

	// The CLI shows the refusal, not EOF.
	file := filepath.Join(t.TempDir(), "more.csv")
	writeCSV(t, file, []records.Record{records.SamplePayment("tax", 10_000_000, 10)})
	out, errOut, code := credmesh(t, "submit", "--home", tax.home, file)
	if code == 0 || !strings.Contains(errOut, "507 insufficient_storage") || !strings.Contains(errOut, "store.min_free_mb") {
		t.Fatalf("submit on a full disk: exit %d\n%s%s", code, out, errOut)
	}
	st := status(t, tax)
	if st.Disk == nil || !st.Disk.Low || st.Disk.ReserveBytes != testMinFreeMB<<20 {
		t.Fatalf("status on a full disk: %+v", st.Disk)
	}

	// Hammer it for logWindow: every submission 507, every lookup served.
	logBefore := taxLog.Len()
	cpuBefore := cpuTime(t, tax)
	some := acked.sample(20)
	c := tax.client()
	deadline := time.Now().Add(logWindow)
	refused, lookups := 0, 0
	for i := 0; time.Now().Before(deadline); i++ {
		ok, err := submit(c)
		if err != nil {
			t.Fatalf("submission %d on a full disk: %v", i, err)
		}
		if !ok {
			refused++
		}
		id := some[i%len(some)]
		if v, err := c.Payment(context.Background(), id); err != nil || len(v.Records) != 1 || !v.Records[0].Verified {
			t.Fatalf("lookup of acknowledged %s on a full disk: %+v %v", id, v, err)
		}
		lookups++
		time.Sleep(20 * time.Millisecond) // a client retrying, not a benchmark
	}
	if refused == 0 {
		t.Fatal("no submission was refused with 507 on the full disk")
	}
	logged := taxLog.Len() - logBefore
	cpu := cpuTime(t, tax) - cpuBefore
	t.Logf("full disk for %s: %d submissions refused with 507, %d lookups served, %d bytes of log, %s of CPU", logWindow, refused, lookups, logged, cpu)
	if logged > maxLogBytes {
		t.Fatalf("%d bytes of log in %s, limit %d:\n%s", logged, logWindow, maxLogBytes, tail(taxLog.String()))
	}
	if cpu > logWindow/2 {
		t.Fatalf("the peer used %s of CPU in %s on a full disk: a busy loop?\n%s", cpu, logWindow, tail(taxLog.String()))
	}

	// SIGTERM is obeyed on the full disk.
	took := sigterm(t, tax)
	t.Logf("SIGTERM on a full disk: exited in %s; the peer's whole log so far, start to stop: %d bytes", took, taxLog.Len())
	if took > 15*time.Second {
		t.Fatalf("SIGTERM took %s", took)
	}
	if strings.Contains(taxLog.String(), "panic") {
		t.Fatalf("the peer panicked:\n%s", tail(taxLog.String()))
	}
	if os.Getenv("DISKDEBUG") != "" {
		t.Logf("log before the restart:\n%s", taxLog.String())
	}

	// Something else fills the disk to the last byte while the peer is
	// stopped: it starts all the same, answers status, 507 or accepts, and
	// obeys SIGTERM. Whether its database opens read-write depends on the
	// room the ballast (if it is still there) gives for flushing the WAL
	// it replays; with no room it opens read-only, and then refuses every
	// submission with 507 saying that a restart is needed.
	filler := filepath.Join(tax.home, "filler")
	fillUp(t, filler)
	logStart := taxLog.Len()
	tax.startWith(t, taxLog)
	waitSealing(t, tax)
	logBefore, cpuBefore = taxLog.Len(), cpuTime(t, tax)
	st = status(t, tax)
	readOnly := st.Disk != nil && st.Disk.ReadOnly
	t.Logf("restarted on a disk filled to the last byte (read-only: %v): %+v", readOnly, st.Disk)
	if readOnly {
		if !strings.Contains(taxLog.String()[logStart:], "open read-only") || !st.Disk.Low || !st.Disk.ReplicasPaused {
			t.Fatalf("read-only without saying so: %+v\n%s", st.Disk, tail(taxLog.String()))
		}
		out, errOut, code := credmesh(t, "submit", "--home", tax.home, file)
		if code == 0 || !strings.Contains(errOut, "507 insufficient_storage") || !strings.Contains(errOut, "read-only") {
			t.Fatalf("submit to a read-only peer: exit %d\n%s%s", code, out, errOut)
		}
	}
	deadline = time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		ok, err := submit(c)
		if err != nil {
			t.Fatalf("submission on a disk filled to the last byte: %v", err)
		}
		if ok && readOnly {
			t.Fatal("a read-only peer accepted a submission")
		}
		if st := status(t, tax); st.Disk == nil {
			t.Fatal("no disk in status")
		}
		time.Sleep(100 * time.Millisecond)
	}
	logged, cpu = taxLog.Len()-logBefore, cpuTime(t, tax)-cpuBefore
	took = sigterm(t, tax)
	t.Logf("restarted on a disk filled to the last byte: %d bytes of log and %s of CPU in 2 s, SIGTERM obeyed in %s", logged, cpu, took)
	if os.Getenv("DISKDEBUG") != "" {
		t.Logf("log of the restart:\n%s", taxLog.String())
	}
	if took > 15*time.Second || logged > maxLogBytes || cpu > time.Second || strings.Contains(taxLog.String(), "panic") {
		t.Fatalf("on a disk filled to the last byte:\n%s", tail(taxLog.String()))
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	tax.startWith(t, taxLog)
	waitSealing(t, tax)
	if st := status(t, tax); st.Disk == nil || st.Disk.ReadOnly {
		t.Fatalf("restarted once the filler was removed: read-only %+v\n%s", st.Disk, tail(taxLog.String()))
	}

	t.Logf("%s since the start", time.Since(began).Round(time.Second))

	// Space returns: the peer accepts again without a restart.
	if out, err := exec.Command("mount", "-o", "remount,size=400m", tax.home).CombinedOutput(); err != nil {
		t.Fatalf("enlarging the tmpfs: %v %s", err, out)
	}
	eventually(t, 10*time.Second, "submissions are accepted again", func() bool {
		ok, err := submit(c)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	})
	if out := mustRun(t, "submit", "--home", tax.home, file); !strings.Contains(out, "1 accepted, 0 refused") {
		t.Fatalf("submit after space returned: %s", out)
	}
	acked.add([]string{records.SamplePayment("tax", 10_000_000, 10).OrderID}, []api.SubmitResult{{Status: "accepted"}})

	// Every acknowledged record is sealed in our chain, and the other
	// member holds the same chain (same head hash: the blocks are
	// hash-linked).
	want := acked.keys()
	eventually(t, 60*time.Second, "every acknowledged record is sealed and replicated", func() bool {
		st := status(t, tax)
		if st.Pending > 0 {
			return false
		}
		h, hash := headOf(st, "Tax Bureau")
		if bh, bhash := headOf(status(t, bank), "Tax Bureau"); bh != h || bhash != hash {
			return false
		}
		return chainHolds(t, tax, st, h, want)
	})
	t.Logf("%d acknowledged records present, %s since the start", len(want), time.Since(began).Round(time.Second))
}

// moveHomeToTmpfs mounts a tmpfs of tmpfsMiB and moves p's home onto it,
// with the test's disk settings.
func moveHomeToTmpfs(t *testing.T, p *peerProc) {
	t.Helper()
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.Itoa(tmpfsMiB)+"m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mounting a tmpfs (as root): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("unmounting %s: %v %s", mnt, err, out)
		}
	})
	entries, err := os.ReadDir(p.home)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(p.home, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := e.Info()
		if err := os.WriteFile(filepath.Join(mnt, e.Name()), data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	p.home = mnt
	cfgPath := filepath.Join(mnt, config.ConfigFile)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store.MinFreeMB, cfg.Store.ReplicaMinFreeMB, cfg.Store.BallastMB = testMinFreeMB, testFloorMB, testBallastMB
	if err := cfg.WriteFile(cfgPath); err != nil {
		t.Fatal(err)
	}
}

// fillUp writes path until the file system has no byte left.
func fillUp(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for size := len(buf); size > 0; {
		if _, err := f.Write(buf[:size]); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			size /= 2
		}
	}
}

// cpuTime is the user and system CPU time p's process has used.
func cpuTime(t *testing.T, p *peerProc) time.Duration {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name in parentheses; utime and stime are
	// the 14th and 15th fields, in clock ticks (100 a second on Linux).
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// ackSet is the order IDs the peer acknowledged.
type ackSet struct {
	mu  sync.Mutex
	ids []string
}

func newAckSet() *ackSet { return &ackSet{} }

func (a *ackSet) add(ids []string, results []api.SubmitResult) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, r := range results {
		if r.Status == "accepted" {
			a.ids = append(a.ids, ids[i])
		}
	}
}

func (a *ackSet) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.ids)
}

func (a *ackSet) sample(n int) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for i := 0; i < len(a.ids) && len(out) < n; i += max(len(a.ids)/n, 1) {
		out = append(out, a.ids[i])
	}
	return out
}

// keys returns the entry key of every acknowledged payment, as block views
// show them.
func (a *ackSet) keys() map[string]bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]bool, len(a.ids))
	for _, id := range a.ids {
		l := privacy.Lookup("e2e-net", id)
		out["01"+hex.EncodeToString(l[:])] = true
	}
	return out
}
