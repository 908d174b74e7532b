package cert_test

import (
	"testing"

	"github.com/credmesh/credmesh/chain/cert"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/internal/qrfile"
)

// How many witnesses one QR code holds: a certificate of a block covered
// by a later head, cosigned by every member but the issuer (all of one
// shared tree), cut to fit one code. At 20 members the light client's
// default policy (a majority of the others, 10) fits; at 100 (50) it does
// not, and the code keeps what fits. The cut certificate goes through a
// QR code PNG and back and verifies.
func TestQRCapacity(t *testing.T) {
	for _, n := range []int{20, 100} {
		w := newWorld(t, 5)
		ws := make([]int, n-1)
		for i := range ws {
			ws[i] = i + 1
		}
		c := w.cert(4, w.witnessed(4, 5, ws...))
		tr := cert.Trust{NetworkID: chaintest.NetworkID, GenesisHash: genesisHash, Members: chaintest.Members(n)}
		full := marshal(t, c)
		k := (n-1)/2 + 1
		small, ok := c.Trim(qrfile.MaxBytes, 1)
		if !ok {
			t.Fatalf("%d members: no certificate fits one QR code", n)
		}
		fit := small.Witnesses()
		t.Logf("%d members: %d bytes with %d witnesses; one QR code (%d bytes) holds %d witnesses; default policy %d", n, len(full), n-1, qrfile.MaxBytes, fit, k)
		if n == 20 && fit < k {
			t.Fatalf("20 members: the QR code holds %d witnesses, the default policy wants %d", fit, k)
		}
		png, err := qrfile.Encode(marshal(t, small))
		if err != nil {
			t.Fatal(err)
		}
		back, err := qrfile.Decode(png)
		if err != nil {
			t.Fatal(err)
		}
		if _, p, err := cert.Verify(back, tr, fit); err != nil || p.Witnesses != fit {
			t.Fatalf("%d members: the certificate read from its QR code: %v", n, err)
		}
	}
}
