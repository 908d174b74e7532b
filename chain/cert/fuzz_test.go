package cert_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/credmesh/credmesh/chain/cert"
)

// FuzzDecode: no input panics Decode or Verify, and whatever decodes is
// the one encoding of its content.
func FuzzDecode(f *testing.F) {
	if golden, err := os.ReadFile(goldenFile); err == nil {
		f.Add(golden)
	}
	f.Add([]byte(cert.Magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := cert.Decode(data)
		if err != nil {
			return
		}
		again, err := c.Marshal()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("decoded, but encodes to other bytes: %v", err)
		}
		c.Verify(trust(), 0)
	})
}
