package builder_test

import (
	"context"
	"sync"
	"testing"

	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
	"google.golang.org/protobuf/proto"
)

// BenchmarkIssuerIngest measures an issuer's path from Submit to a sealed,
// signed, persisted block handed out for publishing: 8 submitters send
// batches of 256 realistic sealed payments (about 240 bytes each). Every
// acknowledgement waits for an fsync.
func BenchmarkIssuerIngest(b *testing.B) {
	const submitters, batch = 8, 256
	st, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	bl, err := builder.New(builder.Config{Params: chaintest.Params(), Members: chaintest.Members(1), Key: chaintest.Key(0), Store: st})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go bl.Run(ctx)

	total := b.N * batch * submitters
	raw := chaintest.BulkPayments(0, 0, total)
	entries := make([]*chainpb.Entry, total)
	for i, r := range raw {
		entries[i] = new(chainpb.Entry)
		if err := proto.Unmarshal(r, entries[i]); err != nil {
			b.Fatal(err)
		}
	}
	sealed := make(chan int)
	go func() {
		n := 0
		for blk := range bl.Sealed() {
			n += len(blk.Entries)
			if n == total {
				sealed <- n
			}
		}
	}()
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := range submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * batch; i < total; i += submitters * batch {
				errs, err := bl.Submit(ctx, entries[i:i+batch])
				if err != nil {
					b.Error(err)
					return
				}
				for _, e := range errs {
					if e != nil {
						b.Error(e)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := bl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	<-sealed
	b.StopTimer()
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "records/s")
}
