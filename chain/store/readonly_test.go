package store_test

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/chain/store/diskspace"
	"github.com/credmesh/credmesh/chain/store/storetest"
)

// onDisk returns the options of a store on disk d with the watch on (a
// reserve of 8 MiB, others' blocks stopped below 4 MiB) and its log in
// log.
func onDisk(d *storetest.Disk, log *bytes.Buffer) store.Options {
	return store.Options{
		FS: d.FS(), Statfs: d.Statfs,
		MinFreeBytes: 8 << 20, ReplicaMinFreeBytes: 4 << 20,
		CacheBytes: 4 << 20,
		Logger:     slog.New(slog.NewTextHandler(log, nil)),
	}
}

// A peer stopped with writes in its WAL (Pebble does not flush at Close),
// restarted on a disk with not one byte free and no ballast left: a
// read-write open would flush the replayed WAL and write a new MANIFEST,
// and Pebble panics when that MANIFEST write fails. The store opens
// read-only instead: everything written is read back (the WAL is replayed
// into memory), every write is refused with ErrReadOnly, an ErrDiskFull,
// before it reaches the disk, and once space is freed a restart opens it
// read-write with nothing lost. With the WAL flushed before (so the open's
// flush has no table to write and goes straight to the MANIFEST) it is the
// same.
func TestRestartOnFullDiskOpensReadOnly(t *testing.T) {
	for _, flushed := range []bool{false, true} {
		name := "unflushed WAL"
		if flushed {
			name = "flushed WAL"
		}
		t.Run(name, func(t *testing.T) { testRestartOnFullDisk(t, flushed) })
	}
}

func testRestartOnFullDisk(t *testing.T, flushed bool) {
	dir := t.TempDir()
	disk := storetest.NewDisk(vfs.Default, 1<<30)
	var log bytes.Buffer
	opts := onDisk(disk, &log)
	s, err := store.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	own := chaintest.Chain(0, 3, 3)
	ownVbs := verify(t, own...)
	other := verify(t, chaintest.Chain(1, 2, 2, 2, 2)...)
	forkA := chaintest.BulkChain(2, nil, 0, 4, 4)[0]
	forkB := chaintest.BulkChain(2, nil, 100, 4, 4)[0]
	if err := s.AddPending(0, own[0].Entries); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendSealed(ownVbs[:1], uint64(len(own[0].Entries))); err != nil {
		t.Fatal(err)
	}
	if err := s.AddPending(uint64(len(own[0].Entries)), own[1].Entries); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(other[:3]...); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveEvidence(chain.NewEvidence(forkA.SignedHeader, forkB.SignedHeader)); err != nil {
		t.Fatal(err)
	}
	subj := chaintest.Ref(7)
	if err := s.PutPrivate(subj, "held", privateEntry(t, chaintest.CreditEvent(7))); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if flushed {
		// A read-write open flushes the WAL it replays; closed again, the
		// WAL holds nothing.
		s, err := store.Open(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}

	// Something else takes every byte while the peer is stopped.
	disk.SetAvail(0)
	log.Reset()
	s, err = store.Open(dir, opts)
	if err != nil {
		t.Fatalf("opening on a disk with no room: %v\n%s", err, log.String())
	}
	if !s.ReadOnly() {
		t.Fatal("opened read-write on a disk with no room")
	}
	if !strings.Contains(log.String(), "open read-only") || !strings.Contains(log.String(), "restart") {
		t.Fatalf("the read-only open is not logged clearly:\n%s", log.String())
	}
	if st, ok := s.Disk(); !ok || !st.ReadOnly || st.Level != diskspace.Critical {
		t.Fatalf("disk state of a read-only store: %+v %v", st, ok)
	}

	// Reads: heads, blocks, pending entries, evidence, private records.
	if h := s.Head(chaintest.Issuer(1)); h == nil || h.Height != 3 {
		t.Fatalf("head of the other chain: %+v", h)
	}
	if h := s.Head(chaintest.Issuer(0)); h == nil || h.Height != 1 {
		t.Fatalf("own head: %+v", h)
	}
	b, err := s.Block(chaintest.Issuer(1), 3)
	if err != nil || b.Hash != other[2].Hash {
		t.Fatalf("block 3 of the other chain: %v", err)
	}
	if found, err := s.HasKeys(chaintest.Issuer(0), [][]byte{ownVbs[0].Keys[0]}); err != nil || !found[0] {
		t.Fatalf("own sealed entry: %v %v", found, err)
	}
	pending, next, err := s.LoadPending()
	if err != nil || len(pending) != len(own[1].Entries) || next != uint64(len(own[0].Entries)+len(own[1].Entries)) {
		t.Fatalf("pending entries: %d, next %d, %v", len(pending), next, err)
	}
	if ev, err := s.EvidenceOf(chaintest.Issuer(2)); err != nil || ev == nil {
		t.Fatalf("evidence: %v %v", ev, err)
	}
	if held, err := s.HasPrivate(subj, "held"); err != nil || !held {
		t.Fatalf("private record: %v %v", held, err)
	}

	// Writes: every one refused as disk-full, none reaching the disk.
	forkC := chaintest.BulkChain(3, nil, 0, 4, 4)[0]
	forkD := chaintest.BulkChain(3, nil, 100, 4, 4)[0]
	for what, err := range map[string]error{
		"a submission":           s.AddPending(next, own[1].Entries[:1]),
		"sealing":                s.AppendSealed(ownVbs[1:], next),
		"another member's block": s.Append(other[3]),
		"a private record":       s.PutPrivate(chaintest.Ref(8), "new", privateEntry(t, chaintest.CreditEvent(8))),
		"deleting a private one": s.DeletePrivate(subj, "held"),
		"evidence":               s.SaveEvidence(chain.NewEvidence(forkC.SignedHeader, forkD.SignedHeader)),
		"acknowledging evidence": s.AckEvidence(chaintest.Issuer(2), store.EvidenceAck{At: time.UnixMilli(1), Note: "checked"}),
	} {
		if !errors.Is(err, store.ErrReadOnly) || !errors.Is(err, store.ErrDiskFull) {
			t.Errorf("%s on a read-only store: %v, want ErrReadOnly (an ErrDiskFull)", what, err)
		}
	}
	s.MaintainDisk()
	if n := disk.Refused(); n != 0 {
		t.Errorf("%d writes reached the full disk", n)
	}
	if n := s.BackgroundErrors(); n != 0 {
		t.Errorf("%d background errors on a read-only store", n)
	}
	if h := s.Head(chaintest.Issuer(1)); h.Height != 3 {
		t.Fatalf("a refused block changed the head: %d", h.Height)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Space is freed and the peer restarted: read-write, nothing lost.
	disk.SetAvail(1 << 30)
	s, err = store.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.ReadOnly() {
		t.Fatal("still read-only with room")
	}
	if st, _ := s.Disk(); st.ReadOnly || st.Level != diskspace.OK {
		t.Fatalf("disk state after space returned: %+v", st)
	}
	if pending, _, err := s.LoadPending(); err != nil || len(pending) != len(own[1].Entries) {
		t.Fatalf("pending entries after the read-only run: %d %v", len(pending), err)
	}
	if err := s.AppendSealed(ownVbs[1:], next); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(other[3]); err != nil {
		t.Fatal(err)
	}
	if h := s.Head(chaintest.Issuer(0)); h.Height != 2 {
		t.Fatalf("own head after sealing: %d", h.Height)
	}
}

// A new database cannot be opened read-only: creating one on a disk with
// no room fails with ErrDiskFull, writing nothing, instead of panicking in
// Pebble's first MANIFEST write.
func TestCreateOnFullDiskFails(t *testing.T) {
	dir := t.TempDir()
	disk := storetest.NewDisk(vfs.Default, 0)
	var log bytes.Buffer
	_, err := store.Open(dir, onDisk(disk, &log))
	if !errors.Is(err, store.ErrDiskFull) || errors.Is(err, store.ErrReadOnly) {
		t.Fatalf("creating a database with no room: %v", err)
	}
	if n := disk.Refused(); n != 0 {
		t.Fatalf("%d writes reached the full disk", n)
	}
	if _, err := os.Stat(dir + "/MANIFEST-000001"); !os.IsNotExist(err) {
		t.Fatalf("a MANIFEST was written: %v", err)
	}
}

// A restart with room for the MANIFEST but not for the table of the WAL it
// replays: a read-write open would wait for ever for that flush (Pebble
// retries a failed flush at once and Open waits for it), or, had the table
// just fitted, panic in the MANIFEST write after it. The store opens
// read-only.
func TestRestartWithNoRoomToFlushOpensReadOnly(t *testing.T) {
	dir := t.TempDir()
	disk := storetest.NewDisk(vfs.Default, 1<<30)
	var log bytes.Buffer
	opts := onDisk(disk, &log)
	s, err := store.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Some MiB in the WAL, not flushed (the memtable is 32 MiB).
	n := 60 * chaintest.PerBlock()
	raw := chaintest.BulkChain(1, nil, 0, n, chaintest.PerBlock())
	all := verify(t, append(raw, chaintest.BulkChain(1, raw[len(raw)-1].SignedHeader, n, 1, 1)...)...)
	blocks, more := all[:len(raw)], all[len(raw):]
	if err := s.Append(blocks...); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// How many bytes of table the open's flush writes, on a copy.
	cp := t.TempDir()
	if err := os.CopyFS(cp, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	measure := storetest.NewDisk(vfs.Default, 1<<30)
	s, err = store.Open(cp, onDisk(measure, &log))
	if err != nil {
		t.Fatal(err)
	}
	table := measure.TableBytes()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if table < 2<<20 {
		t.Fatalf("the flush wrote %d bytes of table, want a few MiB", table)
	}

	// Room for exactly that table, and nothing after it.
	disk.SetAvail(table)
	log.Reset()
	s, err = store.Open(dir, opts)
	if err != nil {
		t.Fatalf("opening with room for the table only: %v\n%s", err, log.String())
	}
	if !s.ReadOnly() {
		t.Fatal("opened read-write with no room for the MANIFEST after the table")
	}
	if h := s.Head(chaintest.Issuer(1)); h == nil || h.Height != blocks[len(blocks)-1].Height {
		t.Fatalf("head replayed from the WAL: %+v", h)
	}
	if err := s.Append(more...); !errors.Is(err, store.ErrReadOnly) {
		t.Fatalf("a block on a read-only store: %v", err)
	}
	if disk.Refused() != 0 || disk.TableBytes() != 0 || s.BackgroundErrors() != 0 {
		t.Fatalf("the read-only store wrote: %d writes refused, %d bytes of table, %d background errors", disk.Refused(), disk.TableBytes(), s.BackgroundErrors())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Space is freed: read-write again, the WAL flushed.
	disk.SetAvail(64 << 20)
	s, err = store.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.ReadOnly() || disk.TableBytes() < table {
		t.Fatalf("with room: read-only %v, %d of %d bytes of table written", s.ReadOnly(), disk.TableBytes(), table)
	}
	if err := s.Append(more...); err != nil {
		t.Fatal(err)
	}
}

// The previous run left recycled WAL files (Pebble keeps a few for reuse)
// and the disk was filled to less than they take: they alone would not
// leave room for a flush, but they are not replayed, and a read-write open
// deletes them. The store measures what the WAL replays, finds room for it
// and opens read-write, and gets their space back.
func TestRestartWithRecycledWALsOpensReadWrite(t *testing.T) {
	dir := t.TempDir()
	disk := storetest.NewDisk(vfs.Default, 1<<30)
	var log bytes.Buffer
	opts := onDisk(disk, &log)
	s, err := store.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	n := 60 * chaintest.PerBlock()
	blocks := verify(t, chaintest.BulkChain(1, nil, 0, n, chaintest.PerBlock())...)
	if err := s.Append(blocks...); err != nil {
		t.Fatal(err)
	}
	// Short of space, the store flushes the memtable to give the WAL's
	// room back; the WAL is then kept for reuse.
	u := unflushed(s, disk)
	if u < 2<<20 {
		t.Fatalf("%d bytes unflushed, want a few MiB", u)
	}
	disk.SetAvail(u + 6<<20) // Low: 6 MiB free once the WAL is flushed
	s.MaintainDisk()
	deadline := time.Now().Add(30 * time.Second)
	for unflushed(s, disk) >= 1<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("the memtable was never flushed\n%s", log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	recycled := logBytes(t, dir)
	if recycled < 2<<20 {
		t.Fatalf("%d bytes of WAL files after the flush, want the recycled WAL's MiBs", recycled)
	}

	disk.SetAvail(recycled) // less than the WAL files and the reserve
	log.Reset()
	s, err = store.Open(dir, opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	defer s.Close()
	if s.ReadOnly() {
		t.Fatalf("read-only, though only recycled WAL files took the room\n%s", log.String())
	}
	// Pebble deletes obsolete files from a goroutine of its own after Open
	// returns, so their deletion is awaited.
	deadline = time.Now().Add(30 * time.Second)
	for got := logBytes(t, dir); got >= recycled || disk.Avail() < recycled+recycled/2; got = logBytes(t, dir) {
		if time.Now().After(deadline) {
			t.Fatalf("recycled WAL files not deleted: %d bytes of WAL, %d free", got, disk.Avail())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if h := s.Head(chaintest.Issuer(1)); h == nil || h.Height != blocks[len(blocks)-1].Height {
		t.Fatalf("head: %+v", h)
	}
}

// logBytes is the size of the WAL files in dir.
func logBytes(t *testing.T, dir string) int64 {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, name := range names {
		if fi, err := os.Stat(name); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// unflushed is how many bytes the store's WAL holds unflushed: its disk
// state leaves them out of the free space (near the reserve).
func unflushed(s *store.Store, d *storetest.Disk) int64 {
	st, _ := s.Disk()
	return d.Avail() - st.FreeBytes
}
