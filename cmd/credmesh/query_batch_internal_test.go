package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/queryproto"
)

// A batch item with too few cosignatures is "unwitnessed" and makes the
// exit status 7, as a single lookup does; a failed check still ranks
// before it, not found after it.
func TestBatchUnwitnessedExitsSeven(t *testing.T) {
	few := &queryproto.WitnessError{Issuer: chaintest.Issuer(0), Height: 4, Have: 1, Want: 2}
	if o, code := outcomeOf(few); o != "unwitnessed" || code != exitUnwitnessed {
		t.Fatalf("outcome of too few witnesses: %s, exit %d", o, code)
	}
	g := &config.Genesis{}
	for _, tc := range []struct {
		errs []error
		want int
	}{
		{[]error{few, fmt.Errorf("%w: gone", queryproto.ErrNotFound)}, exitUnwitnessed},
		{[]error{few, &queryproto.CheckError{Check: "witness", Err: errors.New("bad cosignature")}}, exitVerify},
	} {
		results := make([]queryproto.BatchLookup, len(tc.errs))
		for i, err := range tc.errs {
			results[i] = queryproto.BatchLookup{OrderID: fmt.Sprintf("SI-%d", i), Err: err}
		}
		var out bytes.Buffer
		err := showBatch(&out, g, results, false)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != tc.want {
			t.Fatalf("%v: %v, want exit %d", tc.errs, err, tc.want)
		}
		if !strings.Contains(out.String(), "SI-0\tTOO FEW WITNESSES\t") || !strings.Contains(out.String(), "1 too few witnesses") {
			t.Fatalf("text output:\n%s", out.String())
		}
	}
}
