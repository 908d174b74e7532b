package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store/storetest"
)

var (
	testMembers = chaintest.Members(4)
	testParams  = chaintest.Params()
)

// mustVerify validates a chain's blocks in order, from head.
func mustVerify(t *testing.T, head *chain.SignedHeader, blocks ...*chain.Block) []*chain.VerifiedBlock {
	t.Helper()
	var out []*chain.VerifiedBlock
	for _, b := range blocks {
		vb, err := chain.ValidateBlock(b, head, testMembers, testParams, chaintest.Epoch.Add(24*time.Hour))
		if err != nil {
			t.Fatalf("block %d: %v", b.Height, err)
		}
		out = append(out, vb)
		head = b.SignedHeader
	}
	return out
}

// lenderBlock is a block of issuer 3 with every kind of index key: credit
// events (some negative, with an expiry), a receipt and a correction.
func lenderBlock(t *testing.T) *chain.Block {
	t.Helper()
	var entries [][]byte
	for i := range 8 {
		entries = append(entries, chaintest.CreditEventEntry(i))
	}
	rec, _ := chain.EncodeEntry(&chainpb.Entry{Body: &chainpb.Entry_QueryReceipt{QueryReceipt: chaintest.Receipt(1, 3)}})
	first, _ := chain.DecodeEntry(entries[0], 4096)
	fix, err := chain.EncodeEntry(&chainpb.Entry{Body: &chainpb.Entry_Correction{Correction: &chainpb.Correction{
		CorrectionId: "FIX-1", TargetKey: chain.EntryKey(first), Action: chainpb.CorrectionAction_CORRECTION_ACTION_WITHDRAW, Reason: "opened in error",
	}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := chain.NewBlock(chaintest.NetworkID, nil, append(entries, rec, fix), chaintest.Key(3), chaintest.Epoch.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// filledStore writes three chains into a new store in dir, prunes the
// lender's two expired entries, and returns the open store and issuer 0's
// blocks.
func filledStore(t *testing.T, dir string) (*Store, []*chain.Block) {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := chaintest.Chain(0, 3, 5, 1, 4)
	if err := s.Append(mustVerify(t, nil, a...)...); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(mustVerify(t, nil, chaintest.BulkChain(1, nil, 0, 300, 50)...)...); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(mustVerify(t, nil, lenderBlock(t))...); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Prune(context.Background(), chaintest.Epoch.AddDate(6, 0, 0)); err != nil || n != 2 {
		t.Fatalf("pruned %d: %v", n, err)
	}
	return s, a
}

func mustCheck(t *testing.T, dir string) *CheckReport {
	t.Helper()
	r, err := Check(dir, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCheckPassesAGoodStore(t *testing.T) {
	dir := t.TempDir()
	s, _ := filledStore(t, dir)
	if _, err := Check(dir, CheckOptions{}); !errors.Is(err, ErrInUse) {
		t.Fatalf("check of an open store: %v, want ErrInUse", err)
	}
	s.Close()
	if err := storetest.Flush(dir); err != nil {
		t.Fatal(err)
	}
	var chainsDone, tablesDone int
	r, err := Check(dir, CheckOptions{Progress: func(p CheckProgress) {
		if p.Finished && p.Phase == PhaseChain {
			chainsDone++
		}
		if p.Finished && p.Phase == PhaseTables {
			tablesDone++
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("problems in a good store: %v", r.Problems)
	}
	if len(r.Chains) != 3 || r.Blocks != 4+6+1 || r.Entries != 13+300+8 || r.Pruned != 2 || r.Tables == 0 || r.IndexKeys == 0 {
		t.Fatalf("report: %+v", r)
	}
	if chainsDone != 3 || tablesDone != 1 {
		t.Fatalf("progress: %d chains and %d table passes finished", chainsDone, tablesDone)
	}
}

// find returns the problems of kind at chain iss and height.
func find(r *CheckReport, kind string, iss chain.IssuerID, height uint64) []Problem {
	var out []Problem
	for _, p := range r.Problems {
		if p.Kind == kind && p.Chain == iss.String() && p.Height == height {
			out = append(out, p)
		}
	}
	return out
}

// Damage written straight into the database is found and named by chain,
// height, entry and key.
func TestCheckNamesEachDamage(t *testing.T) {
	iss := chaintest.Issuer(0)
	payment := func(blocks []*chain.Block, h, i int) []byte {
		e, err := chain.DecodeEntry(blocks[h-1].Entries[i], 4096)
		if err != nil {
			t.Fatal(err)
		}
		return indexKeyFor(true, iss, chain.EntryKey(e))
	}
	cases := []struct {
		name   string
		damage func(t *testing.T, db *pebble.DB, blocks []*chain.Block)
		kind   string
		height uint64
		index  int // -1: none
		detail string
	}{
		{"broken hash link", func(t *testing.T, db *pebble.DB, blocks []*chain.Block) {
			h := blocks[1].Header
			h.PrevHash[0] ^= 1
			sh, err := chain.SignHeader(h, chaintest.Key(0))
			if err != nil {
				t.Fatal(err)
			}
			set(t, db, blockKey(prefixHeader, iss, 2), sh.Marshal())
		}, ProblemLink, 2, -1, "does not follow block 1"},
		{"signature broken", func(t *testing.T, db *pebble.DB, blocks []*chain.Block) {
			sh := *blocks[2].SignedHeader
			sh.Signature = append([]byte(nil), sh.Signature...)
			sh.Signature[0] ^= 1
			set(t, db, blockKey(prefixHeader, iss, 3), sh.Marshal())
		}, ProblemHeader, 3, -1, "signature"},
		{"entry does not decode", func(t *testing.T, db *pebble.DB, _ []*chain.Block) {
			set(t, db, entryKey(iss, 1, 2), []byte{0xff, 0xff})
		}, ProblemEntry, 1, 2, "does not decode"},
		{"missing block", func(t *testing.T, db *pebble.DB, _ []*chain.Block) {
			del(t, db, blockKey(prefixHeader, iss, 2))
		}, ProblemLink, 3, -1, "blocks 2 to 2 are missing"},
		{"header of another height", func(t *testing.T, db *pebble.DB, blocks []*chain.Block) {
			set(t, db, blockKey(prefixHeader, iss, 3), blocks[1].SignedHeader.Marshal())
		}, ProblemHeader, 3, -1, "header of block 2"},
		{"head key ahead", func(t *testing.T, db *pebble.DB, _ []*chain.Block) {
			set(t, db, headKey(iss), encodeLocation(7, 0)[:8])
		}, ProblemHead, 7, -1, "headers end at 4"},
		{"entry replaced", func(t *testing.T, db *pebble.DB, blocks []*chain.Block) {
			set(t, db, entryKey(iss, 2, 1), blocks[1].Entries[0])
		}, ProblemMerkle, 2, 1, "does not hash to its stored leaf"},
		{"tree node changed", func(t *testing.T, db *pebble.DB, _ []*chain.Block) {
			v := get(t, db, blockKey(prefixTree, iss, 2))
			v[0] ^= 1 // leaf 0
			set(t, db, blockKey(prefixTree, iss, 2), v)
		}, ProblemMerkle, 2, -1, "root"},
		{"index key deleted", func(t *testing.T, db *pebble.DB, blocks []*chain.Block) {
			del(t, db, payment(blocks, 2, 3))
		}, ProblemIndex, 2, 3, "missing"},
		{"index key points elsewhere", func(t *testing.T, db *pebble.DB, blocks []*chain.Block) {
			set(t, db, payment(blocks, 2, 3), encodeLocation(2, 4))
		}, ProblemIndex, 2, 3, "points at entry 4 of block 2"},
		{"stray index key", func(t *testing.T, db *pebble.DB, _ []*chain.Block) {
			set(t, db, shortLookupKey(chaintest.BulkLookup(99999), iss), encodeLocation(1, 2))
		}, ProblemIndex, 1, 2, "does not produce this index key"},
		{"index key into a missing block", func(t *testing.T, db *pebble.DB, _ []*chain.Block) {
			set(t, db, postingKey(prefixSubject, chaintest.Ref(1), Location{Issuer: iss, Height: 99}), nil)
		}, ProblemIndex, 99, 0, "block 99, which is not stored"},
		{"stray entry", func(t *testing.T, db *pebble.DB, blocks []*chain.Block) {
			set(t, db, entryKey(iss, 9, 0), blocks[0].Entries[0])
		}, ProblemEntry, 9, 0, "header is not stored"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, blocks := filledStore(t, dir)
			tc.damage(t, s.db, blocks)
			s.Close()
			r := mustCheck(t, dir)
			ps := find(r, tc.kind, iss, tc.height)
			for _, p := range ps {
				if strings.Contains(p.Detail, tc.detail) && (tc.index < 0 && p.Index == nil || p.Index != nil && *p.Index == tc.index) {
					return
				}
			}
			t.Fatalf("no %s problem at block %d entry %d saying %q; found:\n%v", tc.kind, tc.height, tc.index, tc.detail, r.Problems)
		})
	}
}

func set(t *testing.T, db *pebble.DB, k, v []byte) {
	t.Helper()
	if err := db.Set(k, v, pebble.Sync); err != nil {
		t.Fatal(err)
	}
}

func del(t *testing.T, db *pebble.DB, k []byte) {
	t.Helper()
	if err := db.Delete(k, pebble.Sync); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, db *pebble.DB, k []byte) []byte {
	t.Helper()
	v, c, err := db.Get(k)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return append([]byte(nil), v...)
}

// A table whose block fails its checksum is named by Check, and the reads
// that meet it return ErrCorrupt, never a panic; the store turns unhealthy
// and logs one ERROR.
func TestCorruptTable(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	iss := chaintest.Issuer(1)
	blocks := chaintest.BulkChain(1, nil, 0, 2000, 100)
	if err := s.Append(mustVerify(t, nil, blocks...)...); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := storetest.Flush(dir); err != nil {
		t.Fatal(err)
	}
	loc := Location{Issuer: iss, Height: 10, Index: 50}
	if !bytes.Equal(storetest.EntryKey(iss, loc.Height, loc.Index), entryKey(iss, loc.Height, loc.Index)) {
		t.Fatal("storetest.EntryKey does not follow the key layout")
	}
	file, err := storetest.CorruptBlockOf(dir, entryKey(iss, loc.Height, loc.Index))
	if err != nil {
		t.Fatal(err)
	}

	r := mustCheck(t, dir)
	var table, read bool
	for _, p := range r.Problems {
		table = table || p.Kind == ProblemTable && p.File == file && strings.Contains(p.Detail, "checksum")
		read = read || p.Kind == ProblemRead && p.Chain == iss.String() && p.Height == loc.Height && strings.Contains(p.Detail, file)
	}
	for _, p := range r.Problems {
		t.Log(p)
	}
	// The walk goes on past the damage: every other block is checked.
	if len(r.Chains) != 1 || r.Chains[0].Blocks != 20 || r.Entries < 1800 || len(r.Problems) > 4 {
		t.Fatalf("the damage ended the walk early: %+v", r)
	}
	if !table || !read {
		t.Fatalf("check did not name table %s and chain %s: %v", file, iss.Short(), r.Problems)
	}

	var logs bytes.Buffer
	s, err = Open(dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	if h := s.Health(); !h.Healthy {
		t.Fatalf("unhealthy before any read met the damage: %v", h.Err)
	}
	if _, err := s.Block(iss, 1); err != nil {
		t.Fatalf("a block elsewhere: %v", err)
	}
	for range 3 {
		if _, err := s.Block(iss, loc.Height); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), file) {
			t.Fatalf("block read: %v, want ErrCorrupt naming %s", err, file)
		}
		if _, err := s.Proof(loc); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("proof: %v, want ErrCorrupt", err)
		}
	}
	h := s.Health()
	if h.Healthy || !errors.Is(h.Err, ErrCorrupt) || h.Corruptions < 6 {
		t.Fatalf("health after corrupt reads: %+v", h)
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
		t.Fatalf("%d ERROR lines for repeated corruption, want 1:\n%s", n, logs.String())
	}
}

func TestCorruptionLogIsRateLimited(t *testing.T) {
	var logs bytes.Buffer
	h := &health{log: slog.New(slog.NewTextHandler(&logs, nil))}
	t0 := time.Unix(1000, 0)
	for i := range 100 {
		h.corrupt(ErrCorrupt, t0.Add(time.Duration(i)*time.Second))
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 2 {
		t.Fatalf("%d ERROR lines in 100 s, want 2 (the first, a minute later):\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "since_last_report=60") {
		t.Fatalf("the later line does not count what it stood for:\n%s", logs.String())
	}
	if got := h.get(); got.Healthy || got.Corruptions != 100 {
		t.Fatalf("health: %+v", got)
	}
}

// Damage in the keys Open reads (the heads) makes Open fail with
// ErrCorrupt, not panic.
func TestOpenMeetingACorruptTableFails(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(mustVerify(t, nil, chaintest.BulkChain(1, nil, 0, 500, 100)...)...); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := storetest.Flush(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := storetest.CorruptBlockOf(dir, headKey(chaintest.Issuer(1))); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open: %v, want ErrCorrupt", err)
	}
}
