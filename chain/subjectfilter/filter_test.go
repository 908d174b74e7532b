package subjectfilter

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	"github.com/credmesh/credmesh/chain/privacy"
)

func ref(label string, i int) privacy.Ref {
	return privacy.Ref(sha256.Sum256(fmt.Appendf(nil, "%s-%d", label, i)))
}

// TestNoFalseNegativesAndTheRateHolds: every added reference matches, and
// of 100,000 others the share that matches is near the rate asked for.
func TestNoFalseNegativesAndTheRateHolds(t *testing.T) {
	for _, fp := range []float64{0.01, 0.1} {
		const n = 10_000
		f := New(n, fp)
		for i := range n {
			f.Add(ref("in", i))
		}
		for i := range n {
			if !f.Has(ref("in", i)) {
				t.Fatalf("fp %.2f: added reference %d does not match", fp, i)
			}
		}
		hits := 0
		const tries = 100_000
		for i := range tries {
			if f.Has(ref("out", i)) {
				hits++
			}
		}
		got := float64(hits) / tries
		t.Logf("fp %.2f: %d bytes for %d subjects (%.1f bits each), %d hash functions, measured rate %.4f", fp, f.Size(), n, float64(8*f.Size())/n, f.k, got)
		if got > 1.5*fp || got < fp/3 {
			t.Errorf("fp %.2f: measured false-positive rate %.4f", fp, got)
		}
	}
}

func TestRoundTripAndBadEncodings(t *testing.T) {
	f := New(100, 0.01)
	f.Add(ref("x", 1))
	g, err := Unmarshal(f.Marshal())
	if err != nil || !g.Has(ref("x", 1)) || g.Size() != f.Size() {
		t.Fatalf("round trip: %v, has %v", err, g != nil && g.Has(ref("x", 1)))
	}
	for name, b := range map[string][]byte{
		"empty":     nil,
		"too short": {3, 0, 0},
		"k = 0":     append([]byte{0}, make([]byte, 8)...),
		"k = 17":    append([]byte{17}, make([]byte, 8)...),
		"too long":  make([]byte, MaxBytes+1),
	} {
		if _, err := Unmarshal(b); !errors.Is(err, ErrFilter) {
			t.Errorf("%s: %v, want ErrFilter", name, err)
		}
	}
	// An empty filter matches nothing; a filter of all ones everything.
	if New(10, 0.01).Has(ref("x", 1)) {
		t.Error("an empty filter matches")
	}
	full := append([]byte{4}, make([]byte, 16)...)
	for i := range full[1:] {
		full[1+i] = 0xff
	}
	if g, _ := Unmarshal(full); !g.Has(ref("any", 7)) {
		t.Error("a filter of all ones does not match")
	}
}
