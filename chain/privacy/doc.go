// Package privacy holds the two primitives that keep personal data off the
// replicated chains.
//
// Subject references. A person or company is named on the network only by a
// Ref: HMAC-SHA256 under a secret that members share (light clients never
// see it) over the kind and the normalized ID. ParseID normalizes and checks
// an ID (a PRC resident ID's 18 characters and check digit, a unified social
// credit code's check character, a passport's issuing country); the raw
// number lives only inside an ID value, whose String, GoString and LogValue
// never reveal it, and no error of this package quotes it.
//
// Sealed payments. A payment record is readable only by its issuer and by
// whoever holds its order ID. From the network ID (salt) and the order ID
// (input key material) HKDF-SHA256 derives two independent values: the
// lookup hash that indexes the record on every peer, and the AES-256-GCM key
// that seals it. The additional data binds the ciphertext to its lookup hash
// and issuer, so a sealed record cannot be moved to another index or chain.
// A fresh random nonce per seal keeps a corrected record, sealed again under
// the same key, safe.
package privacy
