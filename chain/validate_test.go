package chain_test

import (
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"google.golang.org/protobuf/proto"
)

var now = chaintest.Epoch.Add(time.Hour)

// signed builds a block of issuer key over entries, letting the test edit
// the header before it is signed.
func signed(t *testing.T, key ed25519.PrivateKey, head *chain.SignedHeader, entries [][]byte, edit func(*chain.Header)) *chain.Block {
	t.Helper()
	b, err := chain.NewBlock(chaintest.NetworkID, head, entries, key, chaintest.Epoch.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return b
	}
	h := b.Header
	edit(&h)
	sh, err := chain.SignHeader(h, key)
	if err != nil {
		t.Fatal(err)
	}
	return &chain.Block{SignedHeader: sh, Entries: entries}
}

func payments(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = chaintest.PaymentEntry(0, 1000+i)
	}
	return out
}

func encode(t *testing.T, e *chainpb.Entry) []byte {
	t.Helper()
	b, err := proto.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every validation rule, with the class a gossip validator derives from it.
func TestValidateBlockRules(t *testing.T) {
	members := chaintest.Members(3)
	params := chaintest.Params()
	key := chaintest.Key(0)
	blocks := chaintest.Chain(0, 3, 2)
	b1, b2 := blocks[0], blocks[1]

	type tc struct {
		name     string
		block    *chain.Block
		head     *chain.SignedHeader
		params   func(*chain.Params)
		want     error // nil: valid
		provable bool
	}
	dupEntries := payments(2)
	dupEntries = append(dupEntries, dupEntries[0])
	badEntry := encode(t, &chainpb.Entry{Body: &chainpb.Entry_CreditEvent{CreditEvent: &chainpb.CreditEvent{EventId: "x"}}})
	bigEntry := encode(t, &chainpb.Entry{Body: &chainpb.Entry_Payment{Payment: &chainpb.SealedPayment{
		Lookup: make([]byte, 32), Nonce: make([]byte, 12), Ciphertext: make([]byte, params.MaxEntryBytes),
	}}})
	cases := []tc{
		{name: "first block", block: b1},
		{name: "next block", block: b2, head: b1.SignedHeader},
		{name: "bad signature", block: func() *chain.Block {
			sig := append([]byte(nil), b1.Signature...)
			sig[10] ^= 0x40
			sh, _ := chain.DecodeSignedHeader(b1.Raw, sig)
			return &chain.Block{SignedHeader: sh, Entries: b1.Entries}
		}(), want: chain.ErrBadSignature, provable: true},
		{name: "signed by another key than the issuer's", block: func() *chain.Block {
			sh, _ := chain.DecodeSignedHeader(b1.Raw, ed25519.Sign(chaintest.Key(1), append([]byte(chain.HeaderSigningDomain), b1.Raw...)))
			return &chain.Block{SignedHeader: sh, Entries: b1.Entries}
		}(), want: chain.ErrBadSignature, provable: true},
		{name: "non-member", block: signed(t, chaintest.Key(7), nil, payments(2), nil), want: chain.ErrNotMember, provable: true},
		{name: "wrong network", block: b1, params: func(p *chain.Params) { p.NetworkID = "other-net" }, want: chain.ErrWrongNetwork, provable: true},
		{name: "wrong previous hash", block: signed(t, key, b1.SignedHeader, payments(1), func(h *chain.Header) { h.PrevHash[0] ^= 1 }),
			head: b1.SignedHeader, want: chain.ErrWrongPrevHash}, // the other side of a fork: not the forwarder's fault
		{name: "time before parent", block: signed(t, key, b1.SignedHeader, payments(1), func(h *chain.Header) { h.Time = b1.Time.Add(-time.Second) }),
			head: b1.SignedHeader, want: chain.ErrTimeBackwards, provable: true},
		{name: "height gap", block: signed(t, key, b2.SignedHeader, payments(1), nil), head: b1.SignedHeader, want: chain.ErrHeightAhead},
		{name: "unknown parent", block: b2, want: chain.ErrUnknownParent},
		{name: "height already held", block: b1, head: b2.SignedHeader, want: chain.ErrKnownHeight},
		{name: "from the future", block: signed(t, key, nil, payments(1), func(h *chain.Header) { h.Time = now.Add(time.Minute) }),
			want: chain.ErrFromFuture},
		{name: "too many entries", block: b1, params: func(p *chain.Params) { p.MaxBlockEntries = 2 }, want: chain.ErrOversized, provable: true},
		{name: "too many bytes", block: b1, params: func(p *chain.Params) { p.MaxBlockBytes = 500 }, want: chain.ErrOversized, provable: true},
		{name: "bad Merkle root", block: func() *chain.Block {
			b := signed(t, key, nil, payments(3), nil)
			b.Entries = [][]byte{b.Entries[1], b.Entries[0], b.Entries[2]}
			return b
		}(), want: chain.ErrBadRoot, provable: true},
		{name: "entry count differs", block: signed(t, key, nil, payments(3), func(h *chain.Header) { h.EntryCount = 2 }),
			want: chain.ErrBadEntryCount, provable: true},
		{name: "invalid entry", block: signed(t, key, nil, [][]byte{chaintest.PaymentEntry(0, 1), badEntry}, nil),
			want: chain.ErrBadEntry, provable: true},
		{name: "undecodable entry", block: signed(t, key, nil, [][]byte{{0xff, 0xff}}, nil), want: chain.ErrMalformed, provable: true},
		{name: "entry over the size limit", block: signed(t, key, nil, [][]byte{bigEntry}, nil), want: chain.ErrOversized, provable: true},
		{name: "duplicate key in block", block: signed(t, key, nil, dupEntries, nil), want: chain.ErrDuplicateKey, provable: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := params
			if c.params != nil {
				c.params(&p)
			}
			vb, err := chain.ValidateBlock(c.block, c.head, members, p, now)
			if c.want == nil {
				if err != nil {
					t.Fatalf("valid block refused: %v", err)
				}
				if len(vb.Decoded) != len(c.block.Entries) || vb.Tree.Root() != c.block.EntriesRoot {
					t.Fatal("verified block lacks its decoded entries or leaves")
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if got := chain.IsProvable(err); got != c.provable {
				t.Fatalf("IsProvable(%v) = %v, want %v", err, got, c.provable)
			}
		})
	}
}
