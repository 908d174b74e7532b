package store

import "encoding/binary"

// Index values. A location in the entry-key index ('k') is height(8)
// index(4). In the payment index ('x'), one key per payment, it is two
// uvarints, height then index: 3 to 5 bytes for any real chain instead of
// 12, about 8 bytes less per payment on disk (docs/BENCHMARKS.md). The two
// forms are told apart by length: a pair of uvarints that would be 12
// bytes long is written in the fixed form instead (it names the same
// location), so a 12-byte value is always the fixed form. Stores written
// before keep their fixed payment values and are read as they are; a
// binary from before reads a compact value as corrupt, so do not
// downgrade a store that has ingested since.

// indexValue is the value of index key k for the location (height, index).
func indexValue(k []byte, height uint64, index uint32) []byte {
	if len(k) == 0 || k[0] != prefixLookup {
		return encodeLocation(height, index)
	}
	v := binary.AppendUvarint(make([]byte, 0, 8), height)
	v = binary.AppendUvarint(v, uint64(index))
	if len(v) == 12 {
		return encodeLocation(height, index)
	}
	return v
}

// decodeIndexValue reads a value of either form; false if it is neither.
func decodeIndexValue(v []byte) (height uint64, index uint32, ok bool) {
	if len(v) == 12 {
		return binary.BigEndian.Uint64(v), binary.BigEndian.Uint32(v[8:]), true
	}
	h, n := binary.Uvarint(v)
	if n <= 0 {
		return 0, 0, false
	}
	i, m := binary.Uvarint(v[n:])
	if m <= 0 || n+m != len(v) || i > 1<<32-1 {
		return 0, 0, false
	}
	return h, uint32(i), true
}
