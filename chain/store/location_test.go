package store_test

import (
	"slices"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/store"
)

func TestCompareLocationsOrdersByIssuerHeightIndex(t *testing.T) {
	a, b := chain.IssuerID{1}, chain.IssuerID{2}
	want := []store.Location{{a, 1, 0}, {a, 1, 3}, {a, 2, 0}, {b, 0, 0}, {b, 0, 1}}
	got := []store.Location{want[4], want[2], want[0], want[3], want[1]}
	slices.SortFunc(got, store.CompareLocations)
	if !slices.Equal(got, want) {
		t.Fatalf("sorted %v, want %v", got, want)
	}
}
