package api

import "time"

// WitnessEvidence is who cosigned heads covering a record's block
// (docs/PROTOCOL.md 17.6): what a light client verified, and what a
// certificate proves.
type WitnessEvidence struct {
	// Count is the distinct members other than the issuer with a valid
	// cosignature of a head covering the block.
	Count int                 `json:"count"`
	Heads []WitnessedHeadView `json:"heads"`
}

// WitnessedHeadView is one cosigned head covering the block.
type WitnessedHeadView struct {
	Height uint64 `json:"height"`
	Hash   string `json:"hash"`
	// BlocksAhead is how far the head is ahead of the record's block (0:
	// the block itself).
	BlocksAhead uint64         `json:"blocks_ahead"`
	Cosigners   []CosignerView `json:"cosigners"`
}

// CosignerView is one witness's cosignature of a head.
type CosignerView struct {
	Witness  string    `json:"witness"` // peer ID
	Name     string    `json:"name,omitempty"`
	SignedAt time.Time `json:"signed_at"`
	// Note is the cosignature as a C2SP signed note (the checkpoint and
	// the witness's signature line), for any tlog-witness verifier.
	Note string `json:"note,omitempty"`
}
