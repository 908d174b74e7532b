package main_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/records"
)

// A peer whose pending log was damaged while it was down refuses to start,
// naming the file, the offset and the records it cannot read; after
// `credmesh pending set-aside` it starts with every readable record, and
// status shows the loss.
const pendingBatches, pendingPer = 5, 60

// killedWithPending starts a two-member network whose blocks are sealed only
// hourly, submits pendingBatches batches to the first peer, kills it with
// SIGKILL and returns it and the one segment of its pending log.
func killedWithPending(t *testing.T) (*peerProc, string) {
	t.Helper()
	dir := t.TempDir()
	var peers []*peerProc
	args := []string{"genesis", "new", "--network", "e2e-net", "--block-interval", "1h"}
	for _, name := range []string{"tax", "bank"} {
		p := &peerProc{home: filepath.Join(dir, name), apiPort: freePort(t)}
		mustRun(t, "init", "--home", p.home, "--name", name, "--listen-ip", "127.0.0.1",
			"--p2p-port", strconv.Itoa(freePort(t)), "--api-port", strconv.Itoa(p.apiPort))
		args = append(args, "--member", p.home)
		peers = append(peers, p)
	}
	mustRun(t, args...)
	tax, bank := peers[0], peers[1]
	startAll(t, tax, bank)
	c := tax.client()
	for b := range pendingBatches {
		var recs []records.Record
		for i := range pendingPer {
			recs = append(recs, records.SamplePayment("tax", b*pendingPer+i, 100))
		}
		resp, err := c.Submit(context.Background(), recs)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resp.Results {
			if r.Status != "accepted" {
				t.Fatalf("submission refused: %+v", r)
			}
		}
	}
	if st := status(t, tax); st.Pending != pendingBatches*pendingPer {
		t.Fatalf("%d pending, want %d", st.Pending, pendingBatches*pendingPer)
	}
	tax.kill()
	segs, _ := filepath.Glob(filepath.Join(tax.home, "data", "pending", "*.log"))
	if len(segs) != 1 {
		t.Fatalf("pending segments: %v", segs)
	}
	return tax, segs[0]
}

// A torn tail (half a batch written when the power went) is cut off and
// nothing acknowledged is lost.
func TestTornPendingTailIsCut(t *testing.T) {
	tax, seg := killedWithPending(t)
	f, err := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The first 100 bytes of a frame: a header promising more.
	torn := append([]byte{0x80, 0, 0x10, 0}, make([]byte, 96)...)
	if _, err := f.Write(torn); err != nil {
		t.Fatal(err)
	}
	f.Close()
	tax.start(t)
	if st := status(t, tax); st.Pending != pendingBatches*pendingPer || st.PendingLost != nil {
		t.Fatalf("after a torn tail: %d pending, lost %+v", st.Pending, st.PendingLost)
	}
}

// A peer whose pending log was damaged while it was down refuses to start,
// naming the file, the offset and the records it cannot read; after
// `credmesh pending set-aside` it starts with every readable record, and
// status shows the loss.
func TestDamagedPendingLogIsSetAside(t *testing.T) {
	const batches, per = pendingBatches, pendingPer
	tax, seg := killedWithPending(t)
	segs := []string{seg}

	// 16 bytes flipped in the middle of the log.
	data, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	mid := len(data) * 2 / 5
	for i := mid; i < mid+16; i++ {
		data[i] ^= 0xff
	}
	if err := os.WriteFile(segs[0], data, 0o600); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := credmesh(t, "run", "--home", tax.home)
	if code == 0 {
		t.Fatalf("run started on a damaged pending log:\n%s%s", out, errOut)
	}
	if strings.Contains(out+errOut, "listening on") {
		t.Fatalf("run started networking before refusing:\n%s%s", out, errOut)
	}
	m := regexp.MustCompile(`damaged at offset (\d+) of (\S+): (\d+) acknowledged records cannot be read`).FindStringSubmatch(errOut)
	if m == nil || m[2] != segs[0] || !strings.Contains(errOut, "credmesh pending set-aside --home "+tax.home) {
		t.Fatalf("run did not name the file, offset, count and command:\n%s", errOut)
	}
	t.Logf("run refused:\n%s", errOut)
	off, _ := strconv.Atoi(m[1])
	lost, _ := strconv.Atoi(m[3])
	if off > mid || off < mid-1000 || lost < 1 || lost > 3 {
		t.Fatalf("damage reported at offset %d (bytes flipped at %d), %d records lost", off, mid, lost)
	}

	out = mustRun(t, "pending", "set-aside", "--home", tax.home)
	if !strings.Contains(out, "LOST "+m[3]+" acknowledged records") || !strings.Contains(out, "kept "+strconv.Itoa(batches*per-lost)+" readable records") {
		t.Fatalf("set-aside said:\n%s", out)
	}
	t.Logf("set-aside:\n%s", out)
	damaged, _ := filepath.Glob(filepath.Join(tax.home, "data", "pending.damaged-*", filepath.Base(segs[0])))
	if len(damaged) != 1 {
		t.Fatalf("the damaged segment was not kept: %v", damaged)
	}

	tax.start(t)
	st := status(t, tax)
	if st.PendingLost == nil || st.PendingLost.Records != uint64(lost) || st.Pending != batches*per-lost {
		t.Fatalf("status after setting aside: pending %d, lost %+v; want %d pending, %d lost", st.Pending, st.PendingLost, batches*per-lost, lost)
	}
	if text := mustRun(t, "status", "--home", tax.home); !strings.Contains(text, m[3]+" acknowledged records LOST") {
		t.Fatalf("status does not show the loss:\n%s", text)
	}
	// Not while the peer runs.
	out, errOut, code = credmesh(t, "pending", "set-aside", "--home", tax.home)
	if code == 0 || !strings.Contains(errOut, "a peer is running") {
		t.Fatalf("set-aside while the peer runs: exit %d\n%s%s", code, out, errOut)
	}
	tax.stop()
	if !strings.Contains(tax.log.String(), "acknowledged pending records were lost") || !strings.Contains(tax.log.String(), "records="+m[3]) {
		t.Fatalf("the start did not log the loss:\n%s", tax.log)
	}
}

// A log cut short (here to 40 % of its size, as a bad restore or a
// filesystem repair can leave it) is refused too: the store recorded how
// far the log reached.
func TestTruncatedPendingLogIsRefused(t *testing.T) {
	tax, seg := killedWithPending(t)
	st, err := os.Stat(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(seg, st.Size()*2/5); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := credmesh(t, "run", "--home", tax.home)
	m := regexp.MustCompile(`(\d+) acknowledged records cannot be read`).FindStringSubmatch(errOut)
	if code == 0 || m == nil || !strings.Contains(errOut, seg) {
		t.Fatalf("run on a truncated log: exit %d\n%s%s", code, out, errOut)
	}
	// At least the records of every batch but the last are counted.
	if lost, _ := strconv.Atoi(m[1]); lost < pendingBatches*pendingPer*3/5-pendingPer || lost > pendingBatches*pendingPer {
		t.Fatalf("%d records reported lost", lost)
	}
}
