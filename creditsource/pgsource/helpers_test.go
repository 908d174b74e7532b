package pgsource_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/credmesh/credmesh/chain"
)

func sortBytesByEventID(t testing.TB, entries [][]byte) {
	t.Helper()
	id := func(b []byte) []byte {
		e, err := chain.DecodeEntry(b, len(b))
		if err != nil {
			t.Fatal(err)
		}
		return []byte(e.GetCreditEvent().EventId)
	}
	slices.SortFunc(entries, func(a, b []byte) int { return bytes.Compare(id(a), id(b)) })
}
