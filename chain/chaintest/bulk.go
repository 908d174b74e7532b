package chaintest

import (
	"crypto/sha256"
	"encoding/binary"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"google.golang.org/protobuf/proto"
)

// BulkPayments returns n distinct sealed payment entries of issuer, numbered
// from first, for benchmarks: one real sealed record of realistic size
// whose lookup hash is replaced by a hash of its number, which is far
// cheaper than sealing each. BulkLookup(n) is entry n's lookup hash.
func BulkPayments(issuer, first, n int) [][]byte {
	var tmpl chainpb.Entry
	if err := proto.Unmarshal(PaymentEntry(issuer, 0), &tmpl); err != nil {
		panic(err)
	}
	out := make([][]byte, n)
	for i := range out {
		tmpl.GetPayment().Lookup = BulkLookup(first + i)
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(&tmpl)
		if err != nil {
			panic(err)
		}
		out[i] = b
	}
	return out
}

// BulkLookup returns the lookup hash of BulkPayments entry n.
func BulkLookup(n int) []byte {
	h := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("bulk"), uint64(n)))
	return h[:]
}

// BulkChain returns blocks of issuer holding count BulkPayments entries,
// perBlock to a block, continuing the chain after head (nil: from block 1).
func BulkChain(issuer int, head *chain.SignedHeader, first, count, perBlock int) []*chain.Block {
	var out []*chain.Block
	entries := BulkPayments(issuer, first, count)
	for i := 0; i < len(entries); i += perBlock {
		end := min(i+perBlock, len(entries))
		b, err := chain.NewBlock(NetworkID, head, entries[i:end], Key(issuer), Epoch.Add(time.Duration(len(out))*time.Millisecond))
		if err != nil {
			panic(err)
		}
		out = append(out, b)
		head = b.SignedHeader
	}
	return out
}

// PerBlock is how many BulkPayments entries fill a block of the default
// parameters.
func PerBlock() int {
	p := Params()
	return min(p.MaxBlockEntries, p.MaxBlockBytes/len(BulkPayments(0, 0, 1)[0]))
}
