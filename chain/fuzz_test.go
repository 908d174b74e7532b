package chain_test

import (
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
)

// The fuzz targets feed arbitrary bytes to every decoder of outside input.
// Nothing may panic, and what decodes must survive the rest of its checks.

func FuzzDecodeEntry(f *testing.F) {
	f.Add(chaintest.PaymentEntry(0, 1))
	f.Add(chaintest.CreditEventEntry(3))
	receipt, err := chain.EncodeEntry(chaintest.ReceiptEntry(chaintest.Receipt(1, 4)))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(receipt)
	f.Add([]byte{0x0a, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := chain.DecodeEntry(data, 4096)
		if err != nil {
			if !chain.IsProvable(err) {
				t.Fatalf("a decode failure must be provable: %v", err)
			}
			return
		}
		if len(chain.EntryKey(e)) < 2 {
			t.Fatal("a valid entry has no key")
		}
		if _, err := chain.EncodeEntry(e); err != nil {
			t.Fatalf("a decoded entry does not encode again: %v", err)
		}
		if r := e.GetQueryReceipt(); r != nil {
			if len(chain.QueryIDKey(e)) < 2 {
				t.Fatal("a valid receipt has no query-ID key")
			}
			err := chain.CheckEntry(e, chaintest.Issuer(0), chaintest.Members(2), chaintest.Params(), chaintest.Epoch)
			if err != nil && !chain.IsProvable(err) {
				t.Fatalf("a receipt's failed check must be provable: %v", err)
			}
		}
	})
}

func FuzzDecodeCreditQuery(f *testing.F) {
	f.Add(chaintest.Receipt(1, 4).Query)
	f.Add([]byte{0x12, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := chain.DecodeCreditQuery(data)
		if err != nil {
			if !chain.IsProvable(err) {
				t.Fatalf("a decode failure must be provable: %v", err)
			}
			return
		}
		if len(q.Querier) != chain.RefSize || len(q.SubjectRef) != chain.RefSize {
			t.Fatalf("a query with a querier of %d bytes and a subject of %d decoded", len(q.Querier), len(q.SubjectRef))
		}
	})
}

func FuzzDecodeBlock(f *testing.F) {
	for _, b := range chaintest.Chain(0, 1, 3) {
		f.Add(b.Marshal())
	}
	receipt, err := chain.EncodeEntry(chaintest.ReceiptEntry(chaintest.Receipt(1, 4)))
	if err != nil {
		f.Fatal(err)
	}
	rb, err := chain.NewBlock(chaintest.NetworkID, nil, [][]byte{receipt}, chaintest.Key(0), chaintest.Epoch)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rb.Marshal())
	f.Add([]byte{0x0a, 0x02, 0x0a, 0x00})
	members, p := chaintest.Members(2), chaintest.Params()
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := chain.DecodeBlock(data, p)
		if err != nil {
			return
		}
		_, err = chain.ValidateBlock(b, nil, members, p, chaintest.Epoch)
		_ = chain.IsProvable(err)
	})
}

func FuzzDecodeEvidence(f *testing.F) {
	a := chaintest.Chain(0, 1)[0]
	b := chaintest.Chain(0, 2)[0]
	f.Add(chain.NewEvidence(a.SignedHeader, b.SignedHeader).Marshal())
	members := chaintest.Members(1)
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := chain.DecodeEvidence(data)
		if err != nil {
			return
		}
		_ = ev.Verify(members, chaintest.NetworkID)
	})
}
