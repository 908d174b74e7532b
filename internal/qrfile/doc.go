// Package qrfile writes bytes as one QR code in a PNG file and reads them
// back: byte mode, error correction level L (up to MaxBytes bytes, QR
// version 40), encoded by github.com/yeqown/go-qrcode/v2 and decoded by
// github.com/makiuchi-d/gozxing, whose byte segments give back the exact
// bytes (its text would be a guessed character set's reading of them).
//
// The PNG is drawn here from the code's module matrix: black modules of
// Scale pixels on white, with the four-module quiet zone the standard
// asks for, so a phone camera or a scanner reads it too.
package qrfile
