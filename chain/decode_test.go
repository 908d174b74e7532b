package chain_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
)

func TestBlockRoundTripKeepsHeaderBytes(t *testing.T) {
	b := chaintest.Chain(0, 4)[0]
	got, err := chain.DecodeBlock(b.Marshal(), chaintest.Params())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Raw, b.Raw) || got.Hash != b.Hash || len(got.Entries) != 4 {
		t.Fatal("decoded block differs from the encoded one")
	}
	if got.Header != b.Header {
		t.Fatalf("header %+v, want %+v", got.Header, b.Header)
	}
}

func TestDecodeBlockRejectsBadBytes(t *testing.T) {
	p := chaintest.Params()
	valid := chaintest.Chain(0, 2)[0].Marshal()
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"garbage", []byte{0xff, 0xff, 0xff}, chain.ErrMalformed},
		{"truncated", valid[:len(valid)-5], chain.ErrMalformed},
		{"no header", []byte{0x12, 0x01, 0x00}, chain.ErrMalformed},
		{"oversized", make([]byte, p.MaxWireBlockBytes()+1), chain.ErrOversized},
		{"empty header", []byte{0x0a, 0x00}, chain.ErrBadHeader},
	}
	for _, c := range cases {
		_, err := chain.DecodeBlock(c.data, p)
		if !errors.Is(err, c.want) || !chain.IsProvable(err) {
			t.Errorf("%s: got %v, want provable %v", c.name, err, c.want)
		}
	}
}

func TestEntryDecodeRejectsOversized(t *testing.T) {
	e := chaintest.PaymentEntry(0, 1)
	if _, err := chain.DecodeEntry(e, len(e)-1); !errors.Is(err, chain.ErrOversized) {
		t.Fatalf("got %v", err)
	}
	if _, err := chain.DecodeEntry(e, len(e)); err != nil {
		t.Fatal(err)
	}
}
