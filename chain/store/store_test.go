package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/chain/store"
)

var (
	members = chaintest.Members(4)
	params  = chaintest.Params()
	later   = chaintest.Epoch.Add(24 * time.Hour)
)

func open(t *testing.T, dir string) *store.Store {
	t.Helper()
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// verify validates blocks in order against their predecessors.
func verify(t *testing.T, blocks ...*chain.Block) []*chain.VerifiedBlock {
	t.Helper()
	var out []*chain.VerifiedBlock
	var head *chain.SignedHeader
	for _, b := range blocks {
		if b.Height == 1 {
			head = nil
		}
		vb, err := chain.ValidateBlock(b, head, members, params, later)
		if err != nil {
			t.Fatalf("block %d: %v", b.Height, err)
		}
		out = append(out, vb)
		head = b.SignedHeader
	}
	return out
}

func TestAppendReadReopen(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	a := chaintest.Chain(0, 3, 5, 1)
	b := chaintest.Chain(1, 2)
	if err := s.Append(verify(t, a...)...); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(verify(t, b...)...); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	defer s.Close()
	heads := s.Heads()
	if len(heads) != 2 || heads[chaintest.Issuer(0)].Hash != a[2].Hash || heads[chaintest.Issuer(1)].Hash != b[0].Hash {
		t.Fatalf("heads after reopen: %v", heads)
	}
	got, err := s.Block(chaintest.Issuer(0), 2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Marshal(), a[1].Marshal()) {
		t.Fatal("stored block differs from the appended one")
	}
	if _, err := s.Block(chaintest.Issuer(0), 4); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing block: %v", err)
	}
}

func TestAppendRefusesWhatDoesNotFollow(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	blocks := chaintest.Chain(0, 1, 1, 1)
	vbs := verify(t, blocks...)
	if err := s.Append(vbs[1]); !errors.Is(err, chain.ErrUnknownParent) {
		t.Fatalf("block 2 first: %v", err)
	}
	if err := s.Append(vbs[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(vbs[2]); !errors.Is(err, chain.ErrHeightAhead) {
		t.Fatalf("gap: %v", err)
	}
	if err := s.Append(vbs[0]); !errors.Is(err, chain.ErrKnownHeight) {
		t.Fatalf("again: %v", err)
	}
	// A block 2 that reuses the key of an entry in block 1 fails as a whole.
	reuse, err := chain.NewBlock(chaintest.NetworkID, blocks[0].SignedHeader,
		[][]byte{chaintest.PaymentEntry(0, 999), blocks[0].Entries[0]}, chaintest.Key(0), chaintest.Epoch.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(verify(t, blocks[0], reuse)[1]); !errors.Is(err, chain.ErrDuplicateKey) || !chain.IsProvable(err) {
		t.Fatalf("reused key: %v", err)
	}
	if s.Head(chaintest.Issuer(0)).Height != 1 {
		t.Fatal("a refused batch moved the head")
	}
	if locs, _ := s.LookupPayment(mustLookup(t, blocks[0].Entries[0])); len(locs) != 1 || locs[0].Height != 1 {
		t.Fatalf("a refused batch touched the index: %v", locs)
	}
}

func mustLookup(t *testing.T, entry []byte) []byte {
	t.Helper()
	e, err := chain.DecodeEntry(entry, 4096)
	if err != nil {
		t.Fatal(err)
	}
	return e.GetPayment().Lookup
}

func TestLookupAndProofOfEveryPayment(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	blocks := chaintest.Chain(2, 1, 7, 16)
	if err := s.Append(verify(t, blocks...)...); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range blocks {
		for i := range b.Entries {
			orderID := chaintest.OrderID(2, n)
			n++
			lookup := privacy.Lookup(chaintest.NetworkID, orderID)
			locs, err := s.LookupPayment(lookup[:])
			if err != nil || len(locs) != 1 {
				t.Fatalf("payment %d: %v %v", n, locs, err)
			}
			if locs[0] != (store.Location{Issuer: chaintest.Issuer(2), Height: b.Height, Index: uint32(i)}) {
				t.Fatalf("payment %d at %+v", n, locs[0])
			}
			p, err := s.Proof(locs[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Verify(members, chaintest.NetworkID); err != nil {
				t.Fatalf("proof of payment %d: %v", n, err)
			}
			e, _ := chain.DecodeEntry(p.Entry, 4096)
			rec, err := chain.OpenPayment(chaintest.NetworkID, orderID, chaintest.Issuer(2), e.GetPayment())
			if err != nil || rec.OrderId != orderID {
				t.Fatalf("open payment %d: %v", n, err)
			}
			p.Entry = append([]byte(nil), p.Entry...)
			p.Entry[len(p.Entry)-1] ^= 1
			if p.Verify(members, chaintest.NetworkID) == nil {
				t.Fatal("a proof of an altered entry verified")
			}
		}
	}
	none := privacy.Lookup(chaintest.NetworkID, "NO-SUCH-ORDER-1")
	if locs, err := s.LookupPayment(none[:]); err != nil || len(locs) != 0 {
		t.Fatalf("unknown lookup: %v %v", locs, err)
	}
}

// creditBlock builds a lender's block of credit events, receipts and a
// correction of the first event.
func creditBlock(t *testing.T) *chain.Block {
	t.Helper()
	var entries [][]byte
	for i := range 8 {
		entries = append(entries, chaintest.CreditEventEntry(i))
	}
	rec, _ := chain.EncodeEntry(&chainpb.Entry{Body: &chainpb.Entry_QueryReceipt{QueryReceipt: chaintest.Receipt(1, 3)}})
	entries = append(entries, rec)
	first, _ := chain.DecodeEntry(entries[0], 4096)
	fix, err := chain.EncodeEntry(&chainpb.Entry{Body: &chainpb.Entry_Correction{Correction: &chainpb.Correction{
		CorrectionId: "FIX-1", TargetKey: chain.EntryKey(first), Action: chainpb.CorrectionAction_CORRECTION_ACTION_WITHDRAW, Reason: "opened in error",
	}}})
	if err != nil {
		t.Fatal(err)
	}
	entries = append(entries, fix)
	b, err := chain.NewBlock(chaintest.NetworkID, nil, entries, chaintest.Key(3), chaintest.Epoch.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIndexesAndPruning(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	b := creditBlock(t)
	if err := s.Append(verify(t, b)...); err != nil {
		t.Fatal(err)
	}
	lender := chaintest.Issuer(3)
	count := func(subject []byte) int {
		n := 0
		if err := s.BySubject(subject, func(store.Location) bool { n++; return true }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Events 3 and 7 are overdue, about subjects 3 and 7; the receipt is about subject 3.
	if got := count(chaintest.Ref(3)); got != 2 {
		t.Fatalf("subject 3 has %d entries, want 2", got)
	}
	var receipts []store.Location
	s.ReceiptsByQuerier(chaintest.Issuer(1), func(l store.Location) bool { receipts = append(receipts, l); return true })
	if len(receipts) != 1 || receipts[0].Index != 8 {
		t.Fatalf("receipts by querier: %v", receipts)
	}
	first, _ := chain.DecodeEntry(b.Entries[0], 4096)
	var fixes []store.Location
	s.CorrectionsOf(lender, chain.EntryKey(first), func(l store.Location) bool { fixes = append(fixes, l); return true })
	if len(fixes) != 1 || fixes[0].Index != 9 {
		t.Fatalf("corrections of event 0: %v", fixes)
	}

	// Nothing has expired a day later; everything negative has six years later.
	if n, err := s.Prune(context.Background(), later); err != nil || n != 0 {
		t.Fatalf("early prune dropped %d: %v", n, err)
	}
	n, err := s.Prune(context.Background(), chaintest.Epoch.AddDate(6, 0, 0))
	if err != nil || n != 2 {
		t.Fatalf("prune dropped %d, want 2: %v", n, err)
	}
	if _, err := s.Entry(store.Location{Issuer: lender, Height: 1, Index: 3}); !errors.Is(err, store.ErrPruned) {
		t.Fatalf("pruned entry: %v", err)
	}
	if got := count(chaintest.Ref(3)); got != 1 {
		t.Fatalf("subject 3 has %d entries after pruning, want the receipt only", got)
	}
	for _, i := range []uint32{0, 1, 2, 4, 8, 9} {
		p, err := s.Proof(store.Location{Issuer: lender, Height: 1, Index: i})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Verify(members, chaintest.NetworkID); err != nil {
			t.Fatalf("entry %d no longer proves after pruning: %v", i, err)
		}
	}
	if again, _ := s.Prune(context.Background(), chaintest.Epoch.AddDate(7, 0, 0)); again != 0 {
		t.Fatalf("second prune dropped %d", again)
	}
}

func TestPendingPool(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	blocks := chaintest.Chain(0, 3)
	if err := s.AddPending(0, blocks[0].Entries[:2]); err != nil {
		t.Fatal(err)
	}
	if err := s.AddPending(2, blocks[0].Entries[2:]); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, dir)
	defer s.Close()
	p, next, err := s.LoadPending()
	if err != nil || len(p) != 3 || p[2].Seq != 2 || next != 3 || !bytes.Equal(p[1].Entry, blocks[0].Entries[1]) {
		t.Fatalf("pending after reopen: %v %d %v", p, next, err)
	}
	if err := s.AppendSealed(verify(t, blocks[0]), 2); err != nil {
		t.Fatal(err)
	}
	p, _, _ = s.LoadPending()
	if len(p) != 1 || p[0].Seq != 2 {
		t.Fatalf("pending after sealing 0..1: %v", p)
	}
	if has, _ := s.HasKey(chaintest.Issuer(0), chain.EntryKey(mustDecode(t, blocks[0].Entries[0]))); !has {
		t.Fatal("sealed entry's key is not indexed")
	}
}

func mustDecode(t *testing.T, b []byte) *chainpb.Entry {
	t.Helper()
	e, err := chain.DecodeEntry(b, 4096)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestOpenCorruptDatabaseFails(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	s.Close()
	matches, _ := filepath.Glob(filepath.Join(dir, "MANIFEST-*"))
	if len(matches) == 0 {
		t.Fatal("no manifest written")
	}
	if err := os.WriteFile(matches[0], []byte("not a manifest"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(dir, store.Options{}); err == nil {
		t.Fatal("opened a database with a corrupt manifest")
	}
}

// A chain holds one receipt per querier and query ID: a later block with
// a receipt of another query under a used ID is provably bad, like a
// reused entry key.
func TestReceiptQueryIDIsUniquePerChain(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	b1 := creditBlock(t) // holds the receipt of query 3 of member 1
	if err := s.Append(verify(t, b1)...); err != nil {
		t.Fatal(err)
	}
	q := chaintest.Query(1, 3)
	q.SubjectRef = chaintest.Ref(77)
	again, err := chain.EncodeEntry(chaintest.ReceiptEntry(chaintest.ReceiptOf(q, chaintest.Key(1), chaintest.FeeMinor, chaintest.FeeCurrency)))
	if err != nil {
		t.Fatal(err)
	}
	same, _ := chain.EncodeEntry(chaintest.ReceiptEntry(chaintest.Receipt(1, 3)))
	for name, entry := range map[string][]byte{"another query under the ID": again, "the same receipt": same} {
		b2, err := chain.NewBlock(chaintest.NetworkID, b1.SignedHeader, [][]byte{entry}, chaintest.Key(3), chaintest.Epoch.Add(2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		vb, err := chain.ValidateBlock(b2, b1.SignedHeader, members, params, later)
		if err != nil {
			t.Fatalf("%s: the block alone is valid: %v", name, err)
		}
		if err := s.Append(vb); !errors.Is(err, chain.ErrDuplicateKey) || !chain.IsProvable(err) {
			t.Fatalf("%s: stored over a used query ID: %v", name, err)
		}
	}
}
