package store_test

import (
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
)

// BenchmarkReplicaValidateAndStore measures a replica receiving another
// member's blocks as bytes: decode, validate (signature, Merkle root, every
// entry) and append with all indexes. Blocks are full 64 KiB blocks of
// realistic sealed payments (about 240 bytes each). serial does one block
// after the other on one goroutine; pipelined is what sync does (p2p's
// syncer.validate): batches of replicaBatch blocks decoded and validated
// over all cores while the batch before is appended.
func BenchmarkReplicaValidateAndStore(b *testing.B) {
	b.Run("serial", func(b *testing.B) { benchReplica(b, false) })
	b.Run("pipelined", func(b *testing.B) { benchReplica(b, true) })
}

const replicaBatch = 16

func benchReplica(b *testing.B, pipelined bool) {
	s, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	per := chaintest.PerBlock()
	blocks := chaintest.BulkChain(1, nil, 0, b.N*per, per)
	wire := make([][]byte, len(blocks))
	for i, blk := range blocks {
		wire[i] = blk.Marshal()
	}
	records := 0
	b.ResetTimer()
	if !pipelined {
		for i := range b.N {
			blk, err := chain.DecodeBlock(wire[i], params)
			if err != nil {
				b.Fatal(err)
			}
			vb, err := chain.ValidateBlock(blk, s.Head(blk.Issuer), members, params, later)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Append(vb); err != nil {
				b.Fatal(err)
			}
			records += len(blk.Entries)
		}
	} else {
		validated := make(chan []*chain.VerifiedBlock, 1)
		go func() {
			defer close(validated)
			var head *chain.SignedHeader
			for first := 0; first < b.N; first += replicaBatch {
				vbs, err := validateBatch(wire[first:min(first+replicaBatch, b.N)], head)
				if err != nil {
					b.Error(err)
					return
				}
				head = vbs[len(vbs)-1].SignedHeader
				validated <- vbs
			}
		}()
		for vbs := range validated {
			if err := s.Append(vbs...); err != nil {
				b.Fatal(err)
			}
			for _, vb := range vbs {
				records += len(vb.Entries)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// validateBatch decodes and validates consecutive blocks after head over
// GOMAXPROCS goroutines, each block against the header of the one before.
func validateBatch(wire [][]byte, head *chain.SignedHeader) ([]*chain.VerifiedBlock, error) {
	blks := make([]*chain.Block, len(wire))
	vbs := make([]*chain.VerifiedBlock, len(wire))
	errs := make([]error, len(wire))
	parallel := func(f func(i int)) {
		workers := min(runtime.GOMAXPROCS(0), len(wire))
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(wire); i += workers {
					f(i)
				}
			}()
		}
		wg.Wait()
	}
	parallel(func(i int) { blks[i], errs[i] = chain.DecodeBlock(wire[i], params) })
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// Each parent with its chain's history, in order, as the syncer does.
	prevs := make([]*chain.SignedHeader, len(blks))
	prevs[0] = head
	for i := 1; i < len(blks); i++ {
		prevs[i] = chain.WithHistory(blks[i-1].SignedHeader, prevs[i-1])
	}
	parallel(func(i int) {
		vbs[i], errs[i] = chain.ValidateBlock(blks[i], prevs[i], members, params, later)
	})
	return vbs, errors.Join(errs...)
}

// filled returns a store holding n bulk payments of issuer 1.
func filled(b *testing.B, n int) *store.Store {
	b.Helper()
	s, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	per := chaintest.PerBlock()
	var head *chain.SignedHeader
	for first := 0; first < n; first += 100 * per {
		blocks := chaintest.BulkChain(1, head, first, min(100*per, n-first), per)
		vbs := make([]*chain.VerifiedBlock, len(blocks))
		for i, blk := range blocks {
			if vbs[i], err = chain.ValidateBlock(blk, head, members, params, later); err != nil {
				b.Fatal(err)
			}
			head = blk.SignedHeader
		}
		if err := s.Append(vbs...); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

const lookupRecords = 500_000

// BenchmarkLookupPayment measures the store point lookup a payment query
// starts with: lookup hash → location, in a store of 500,000 records.
func BenchmarkLookupPayment(b *testing.B) {
	s := filled(b, lookupRecords)
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	b.ResetTimer()
	for b.Loop() {
		locs, err := s.LookupPayment(chaintest.BulkLookup(rng.IntN(lookupRecords)))
		if err != nil || len(locs) != 1 {
			b.Fatal(locs, err)
		}
	}
}

// BenchmarkProofGenerate measures building the inclusion proof of a stored
// payment (header, entry and leaf hashes read, audit path computed).
func BenchmarkProofGenerate(b *testing.B) {
	s := filled(b, lookupRecords)
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	b.ResetTimer()
	for b.Loop() {
		locs, err := s.LookupPayment(chaintest.BulkLookup(rng.IntN(lookupRecords)))
		if err != nil || len(locs) != 1 {
			b.Fatal(locs, err)
		}
		if _, err := s.Proof(locs[0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProofVerify measures what a light client does with a proof:
// the issuer's signature over the header and the Merkle path.
func BenchmarkProofVerify(b *testing.B) {
	s := filled(b, 10*chaintest.PerBlock())
	defer s.Close()
	locs, _ := s.LookupPayment(chaintest.BulkLookup(123))
	p, err := s.Proof(locs[0])
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := p.Verify(members, chaintest.NetworkID); err != nil {
			b.Fatal(err)
		}
	}
}
