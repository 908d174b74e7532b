package qrfile_test

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"math/rand/v2"
	"testing"

	"github.com/credmesh/credmesh/internal/qrfile"
)

// Bytes of every value, of sizes up to the largest one code holds, come
// back exactly; more is refused; what is not a PNG or holds no code fails.
func TestRoundTrip(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 17, 300, 1500, qrfile.MaxBytes} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rnd.UintN(256))
		}
		img, err := qrfile.Encode(data)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		got, err := qrfile.Decode(img)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("%d bytes came back as %d other bytes", n, len(got))
		}
	}
	if _, err := qrfile.Encode(make([]byte, qrfile.MaxBytes+1)); !errors.Is(err, qrfile.ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	if _, err := qrfile.Decode([]byte("not a png")); err == nil {
		t.Fatal("not a PNG decoded")
	}
	var blank bytes.Buffer
	if err := png.Encode(&blank, image.NewGray(image.Rect(0, 0, 64, 64))); err != nil {
		t.Fatal(err)
	}
	if _, err := qrfile.Decode(blank.Bytes()); err == nil {
		t.Fatal("an image without a code decoded")
	}
}
