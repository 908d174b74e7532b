package store

import (
	"bytes"
	"testing"

	"github.com/credmesh/credmesh/chain"
)

func TestIndexValueRoundTrip(t *testing.T) {
	x := []byte{prefixLookup, 1}
	for _, c := range []struct {
		h uint64
		i uint32
	}{{0, 0}, {1, 2}, {9_000, 269}, {1 << 40, 1 << 31}, {1 << 49, 1 << 21}, {1<<64 - 1, 1<<32 - 1}} {
		v := indexValue(x, c.h, c.i)
		h, i, ok := decodeIndexValue(v)
		if !ok || h != c.h || i != c.i {
			t.Errorf("(%d, %d) as %x reads back as (%d, %d, %v)", c.h, c.i, v, h, i, ok)
		}
		if k := indexValue([]byte{prefixKey, 1}, c.h, c.i); !bytes.Equal(k, encodeLocation(c.h, c.i)) {
			t.Errorf("an entry-key index value is not of the fixed form: %x", k)
		}
	}
	if v := indexValue(x, 9_000, 269); len(v) > 4 {
		t.Errorf("a payment of a chain of 9,000 blocks takes %d bytes, want at most 4", len(v))
	}
	for _, bad := range [][]byte{nil, {0x80}, {1}, {1, 2, 3}, {1, 0x80}, {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80}, {1, 0xff, 0xff, 0xff, 0xff, 0x1f}} {
		if h, i, ok := decodeIndexValue(bad); ok {
			t.Errorf("%x read as (%d, %d)", bad, h, i)
		}
	}
}

// A payment index value of the fixed form, as stores wrote before the
// compact one, is read and passes the check beside compact ones.
func TestPaymentIndexValueOfOlderStores(t *testing.T) {
	dir := t.TempDir()
	s, blocks := filledStore(t, dir)
	e, err := chain.DecodeEntry(blocks[1].Entries[3], 4096)
	if err != nil {
		t.Fatal(err)
	}
	key := indexKeyFor(true, blocks[1].Header.Issuer, chain.EntryKey(e))
	if v := get(t, s.db, key); len(v) >= 12 {
		t.Fatalf("a new payment index value is %d bytes: %x", len(v), v)
	}
	set(t, s.db, key, encodeLocation(2, 3))
	locs, err := s.LookupPayment(key[1 : 1+32])
	if err != nil || len(locs) != 1 || locs[0].Height != 2 || locs[0].Index != 3 {
		t.Fatalf("lookup: %v %v", locs, err)
	}
	s.Close()
	if r := mustCheck(t, dir); len(r.Problems) != 0 {
		t.Fatalf("problems: %v", r.Problems)
	}
}
