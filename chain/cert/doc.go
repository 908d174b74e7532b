// Package cert is the offline payment certificate: one payment record with
// everything needed to verify it against the genesis alone, with no
// network (docs/PROTOCOL.md section 19). It does no I/O.
//
// A certificate holds the network ID and genesis hash, the record's entry
// exactly as in its block (sealed), optionally the order ID that opens it,
// the entry's inclusion proof, the block's signed header, and one or more
// witnessed heads: a head of the block's chain that covers the block (the
// block itself, or a later head with the block's path into its history)
// and the tlog-cosignature/v1 cosignatures of it by members other than
// the issuer (package witness).
//
// # Encoding
//
// A file is Magic ("credmesh/cert/v1\n"), the 4-byte big-endian length of
// the rest, and the deterministic protobuf encoding of
// certpb.Certificate (the length because a protobuf message cut short at a
// field boundary is a valid, shorter one). Decode refuses anything that is
// not the one encoding of its content: it decodes strictly
// (chain.UnmarshalStrict: no unknown field, no field twice), checks the
// order rules (heads by height, cosignatures by witness key, each witness
// once), rebuilds the encoding of what it read (cosignatures of one
// statement tree share its path) and compares byte for byte, so
// no byte of a valid file can change without changing what it says. Every
// field is then covered by a check of Verify: a signature, a hash path, or
// a comparison with the genesis. Hence any change of any byte fails, which
// the tests check byte by byte. Protobuf was chosen over a text form
// because it keeps a certificate small enough for one QR code in binary
// mode (Trim drops cosignatures beyond a policy when it is not), and
// because the header and entries inside are protobuf already.
//
// # Use
//
//	c, err := cert.New(cert.Parts{...}) // from a light client's verified answer
//	data, err := c.Marshal()
//	...
//	c, err := cert.Decode(data)
//	proven, err := c.Verify(trust, k)   // ErrInvalid, or ErrUnwitnessed: fewer than k witnesses
//
// Verify opens the record when the certificate carries its order ID; a
// sealed certificate proves that the issuer published a payment under a
// lookup hash, and Open with the order ID shows it.
package cert
