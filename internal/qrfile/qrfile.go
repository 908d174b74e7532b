package qrfile

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/yeqown/go-qrcode/v2"
)

// MaxBytes is what one QR code holds in byte mode at error correction
// level L (version 40).
const MaxBytes = 2953

// Scale is the pixels of one module; Quiet the modules of white around.
const (
	Scale = 4
	Quiet = 4
)

// ErrTooLarge is data larger than one QR code holds.
var ErrTooLarge = errors.New("qrfile: too large for one QR code")

// Encode returns the PNG of data as one QR code.
func Encode(data []byte) ([]byte, error) {
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(data), MaxBytes)
	}
	qr, err := qrcode.NewWith(data, qrcode.WithEncodingMode(qrcode.EncModeByte), qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionLow))
	if err != nil {
		return nil, fmt.Errorf("qrfile: encoding: %w", err)
	}
	var w matrixWriter
	if err := qr.Save(&w); err != nil {
		return nil, fmt.Errorf("qrfile: drawing: %w", err)
	}
	var out bytes.Buffer
	if err := png.Encode(&out, w.img); err != nil {
		return nil, fmt.Errorf("qrfile: PNG: %w", err)
	}
	return out.Bytes(), nil
}

// matrixWriter draws the module matrix the encoder hands it.
type matrixWriter struct{ img *image.Gray }

func (w *matrixWriter) Write(mat qrcode.Matrix) error {
	bits := mat.Bitmap()
	n := len(bits)
	side := (n + 2*Quiet) * Scale
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y, row := range bits {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := range Scale {
				for dx := range Scale {
					img.SetGray((x+Quiet)*Scale+dx, (y+Quiet)*Scale+dy, color.Gray{})
				}
			}
		}
	}
	w.img = img
	return nil
}

func (w *matrixWriter) Close() error { return nil }

// MaxSide bounds the width and height of an image Decode reads, so that
// a small file cannot make it allocate gigabytes.
const MaxSide = 8192

// Decode reads the bytes of the QR code in a PNG file.
func Decode(pngData []byte) ([]byte, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(pngData))
	if err != nil {
		return nil, fmt.Errorf("qrfile: not a PNG: %w", err)
	}
	if cfg.Width > MaxSide || cfg.Height > MaxSide {
		return nil, fmt.Errorf("qrfile: an image of %dx%d pixels, at most %d a side", cfg.Width, cfg.Height, MaxSide)
	}
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		return nil, fmt.Errorf("qrfile: not a PNG: %w", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return nil, fmt.Errorf("qrfile: reading the image: %w", err)
	}
	// A clean code as Encode draws it reads fastest as a pure barcode;
	// a photographed or rescaled one needs the finder patterns searched.
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		res, err = zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	}
	if err != nil {
		return nil, fmt.Errorf("qrfile: no QR code read: %w", err)
	}
	segs, ok := res.GetResultMetadata()[gozxing.ResultMetadataType_BYTE_SEGMENTS].([][]byte)
	if !ok || len(segs) == 0 {
		return nil, errors.New("qrfile: the QR code holds no bytes")
	}
	return bytes.Join(segs, nil), nil
}
