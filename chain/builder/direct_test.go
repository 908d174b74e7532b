package builder

import (
	"context"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
)

func directBuilder(t *testing.T, dir string) (*Builder, *store.Store) {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := chaintest.Params()
	p.MaxBlockEntries = 16
	b, err := New(Config{Params: p, Members: chaintest.Members(1), Key: chaintest.Key(0), Store: st, Now: func() time.Time { return chaintest.Epoch }})
	if err != nil {
		t.Fatal(err)
	}
	return b, st
}

// paymentRequest is what Submit hands the loop for payments first..first+n-1.
func paymentRequest(t *testing.T, b *Builder, first, n int) *request {
	t.Helper()
	req := &request{entries: make([]pooled, n), errs: make([]error, n), done: make(chan struct{})}
	for i := range n {
		data := chaintest.PaymentEntry(0, first+i)
		e, err := chain.DecodeEntry(data, b.cfg.Params.MaxEntryBytes)
		if err != nil {
			t.Fatal(err)
		}
		if req.entries[i], err = b.newPooled(e, data, b.cfg.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return req
}

// A group that completes a block is sealed at once: the block's entries
// never reach the pending log, the left-over ones do, numbered from where
// the log was, and the request is answered only once both are durable.
func TestGroupThatCompletesABlockIsWrittenOnce(t *testing.T) {
	dir := t.TempDir()
	b, st := directBuilder(t, dir)
	small := paymentRequest(t, b, 0, 5)
	b.accept([]*request{small})
	if b.flight != nil || len(b.pool) != 5 {
		t.Fatalf("5 entries: flight %v, pool %d; want the ordinary path", b.flight != nil, len(b.pool))
	}
	<-small.done

	req := paymentRequest(t, b, 5, 15) // 5 pooled + 15 = one block and 4 left over
	b.accept([]*request{req})
	if b.flight == nil || b.flight.direct == nil {
		t.Fatal("a group completing a block did not take the direct path")
	}
	if d := b.flight.direct; len(d.sealed) != 11 || len(d.fresh) != 4 || d.first != 5 || len(b.flight.vbs) != 1 {
		t.Fatalf("sealed %d, fresh %d from %d, %d blocks; want 11, 4 from 5, 1", len(d.sealed), len(d.fresh), d.first, len(b.flight.vbs))
	}
	select {
	case <-req.done:
		t.Fatal("answered before the writes landed")
	default:
	}
	werr := <-b.flight.done
	if err := b.land(context.Background(), werr); err != nil {
		t.Fatal(err)
	}
	<-req.done
	for i, err := range req.errs {
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	if len(b.pool) != 4 || b.nextSeq != 9 {
		t.Fatalf("pool %d, next %d; want the 4 left over, next 9", len(b.pool), b.nextSeq)
	}
	blk := <-b.sealed
	if blk.Height != 1 || len(blk.Entries) != 16 {
		t.Fatalf("handed out block %d of %d entries", blk.Height, len(blk.Entries))
	}
	st.Close()

	// After a restart: the block is stored, the 4 left over are pending,
	// and nothing of the block is.
	st2, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	pending, next, err := st2.LoadPending()
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 4 || pending[0].Seq != 5 || next != 9 {
		t.Fatalf("pending %d from %v, next %d; want 4 from 5, next 9", len(pending), pending, next)
	}
	for i := range 20 {
		e, _ := chain.DecodeEntry(chaintest.PaymentEntry(0, i), 4096)
		sealed, err := st2.HasKey(chaintest.Issuer(0), chain.EntryKey(e))
		if err != nil || sealed != (i < 16) {
			t.Fatalf("payment %d: sealed %v (%v), want %v", i, sealed, err, i < 16)
		}
	}
}

// A group holding a correction takes the ordinary path, so that no
// left-over entry depends on one written only in a block.
func TestGroupWithACorrectionIsPooled(t *testing.T) {
	b, st := directBuilder(t, t.TempDir())
	defer st.Close()
	req := paymentRequest(t, b, 0, 20)
	target := req.entries[3].entry
	fix := &chainpb.Entry{Body: &chainpb.Entry_Correction{Correction: &chainpb.Correction{
		CorrectionId: "FIX-1", TargetKey: chain.EntryKey(target), Action: chainpb.CorrectionAction_CORRECTION_ACTION_WITHDRAW, Reason: "entered twice",
	}}}
	data, err := chain.EncodeEntry(fix)
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.newPooled(fix, data, b.cfg.Now())
	if err != nil {
		t.Fatal(err)
	}
	req.entries, req.errs = append(req.entries, p), append(req.errs, nil)
	b.accept([]*request{req})
	if b.flight != nil && b.flight.direct != nil {
		t.Fatal("a group with a correction took the direct path")
	}
	if len(b.pool) != 21 {
		t.Fatalf("pool %d, want all 21 pooled", len(b.pool))
	}
}
