package cert

import (
	"encoding/base64"
	"encoding/binary"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/merkle"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/chain/witness"
	"github.com/transparency-dev/formats/note"
)

// Trust is what a verifier takes from the genesis file it holds.
type Trust struct {
	NetworkID   string
	GenesisHash chain.Hash
	Members     chain.Members
}

// maxEntryBytes bounds the entry a certificate carries: the largest any
// genesis allows (chain.Params.MaxEntryBytes).
const maxEntryBytes = 64 << 10

// Proven is what a valid certificate proves.
type Proven struct {
	Issuer chain.IssuerID
	Block  *chain.SignedHeader // the block's header, signature checked
	Index  uint32              // the entry's index in the block
	Lookup [privacy.LookupSize]byte
	Sealed *chainpb.SealedPayment
	// Record is the opened record; nil for a sealed certificate until
	// Open.
	Record *chainpb.PaymentRecord
	// Heads are the cosigned heads covering the block, by height.
	Heads []ProvenHead
	// Witnesses is the number of distinct members other than the issuer
	// with a valid cosignature of a head covering the block.
	Witnesses int
}

// ProvenHead is one cosigned head covering the block.
type ProvenHead struct {
	Height uint64
	Hash   chain.Hash
	Time   time.Time // the head's header time
	// Cosigners are the witnesses of this head, by key, with the time
	// each signed (from its cosignature).
	Cosigners []Cosigner
}

// Cosigner is one witness's valid cosignature of a head.
type Cosigner struct {
	Witness  chain.IssuerID
	SignedAt time.Time
	// Note is the C2SP signed note of the cosignature: the checkpoint
	// (17.2) and the witness's signature line, which any tlog-witness
	// verifier checks with the vkey witness.VerifierKey(Witness).
	Note string
}

// Verify checks everything the certificate holds against trust, and that
// at least k distinct members other than the issuer cosigned a head
// covering the block:
//
//  1. the network ID and genesis hash are trust's;
//  2. the block's header is of that network, by a member with the
//     payments role, and its signature verifies;
//  3. the entry is leaf Index of the header's entries root (the path);
//  4. the entry is a sealed payment; with an order ID, its lookup hash is
//     that order ID's and it opens to a valid record carrying it;
//  5. each witnessed head is the block, or a later header of its chain
//     whose signature verifies and whose history holds the block (the
//     history path);
//  6. each cosignature is by a member other than the issuer and its audit
//     path and cosignature/v1 signature verify for that head.
//
// A failure of 1 to 6 is ErrInvalid and returns no Proven. Fewer than k
// witnesses is a *WitnessError (ErrUnwitnessed), returned with the Proven.
func (c *Cert) Verify(t Trust, k int) (*Proven, error) {
	if c.NetworkID != t.NetworkID {
		return nil, invalid("certificate of network %q, the genesis is of %q", c.NetworkID, t.NetworkID)
	}
	if c.GenesisHash != t.GenesisHash {
		return nil, invalid("certificate of genesis %s, the genesis given hashes to %s", c.GenesisHash, t.GenesisHash)
	}
	p := &c.Proof
	if err := p.Verify(t.Members, t.NetworkID); err != nil {
		return nil, invalid("inclusion proof: %v", err)
	}
	block := p.Header
	if !t.Members.Has(block.Issuer, chain.RolePayments) {
		return nil, invalid("issuer %s is not a payments member", block.Issuer.Short())
	}
	e, err := chain.DecodeEntry(p.Entry, maxEntryBytes)
	if err != nil {
		return nil, invalid("entry: %v", err)
	}
	sealed := e.GetPayment()
	if sealed == nil {
		return nil, invalid("the entry is not a payment")
	}
	out := &Proven{Issuer: block.Issuer, Block: block, Index: p.Index, Sealed: sealed}
	if len(sealed.Lookup) != privacy.LookupSize {
		return nil, invalid("lookup hash of %d bytes", len(sealed.Lookup))
	}
	out.Lookup = [privacy.LookupSize]byte(sealed.Lookup)
	if c.OrderID != "" {
		if err := out.Open(t.NetworkID, c.OrderID); err != nil {
			return nil, err
		}
	}
	witnesses := make(map[chain.IssuerID]bool)
	for i, w := range c.Witnessed {
		head := w.covering(block)
		if w.Head != nil {
			if w.Head.Height <= block.Height {
				return nil, invalid("witnessed head %d at height %d is not after the block at %d", i, w.Head.Height, block.Height)
			}
			if err := w.Head.VerifySignature(); err != nil {
				return nil, invalid("witnessed head %d: %v", i, err)
			}
			if err := chain.VerifyInHistory(block, w.Head, w.HistoryPath); err != nil {
				return nil, invalid("witnessed head %d: %v", i, err)
			}
		}
		ph := ProvenHead{Height: head.Height, Hash: head.Hash, Time: head.Time}
		for j := range w.Cosignatures {
			cs := &w.Cosignatures[j]
			if cs.Witness == block.Issuer {
				return nil, invalid("witnessed head %d: cosignature %d is the issuer's own", i, j)
			}
			if cs.Head != headOf(head) {
				return nil, invalid("witnessed head %d: cosignature %d is of another head", i, j)
			}
			if err := cs.Verify(t.NetworkID, t.Members); err != nil {
				return nil, invalid("witnessed head %d: cosignature %d: %v", i, j, err)
			}
			witnesses[cs.Witness] = true
			ph.Cosigners = append(ph.Cosigners, Cosigner{Witness: cs.Witness, SignedAt: witness.SignatureTime(cs.Signature), Note: signedNote(t.NetworkID, cs)})
		}
		out.Heads = append(out.Heads, ph)
	}
	out.Witnesses = len(witnesses)
	if out.Witnesses < k {
		return out, &WitnessError{Issuer: block.Issuer, Height: block.Height, Have: out.Witnesses, Want: k}
	}
	return out, nil
}

// Open opens the sealed record with its order ID: its lookup hash must be
// the order ID's, and the record inside valid and carrying it.
func (p *Proven) Open(networkID, orderID string) error {
	if err := privacy.CheckOrderID(orderID); err != nil {
		return invalid("order ID: %v", err)
	}
	if privacy.Lookup(networkID, orderID) != p.Lookup {
		return invalid("the record is indexed under another order ID")
	}
	rec, err := chain.OpenPayment(networkID, orderID, p.Issuer, p.Sealed)
	if err != nil {
		return invalid("sealed record: %v", err)
	}
	p.Record = rec
	return nil
}

// Verify decodes and verifies a certificate file (Decode, Cert.Verify).
func Verify(data []byte, t Trust, k int) (*Cert, *Proven, error) {
	c, err := Decode(data)
	if err != nil {
		return nil, nil, err
	}
	p, err := c.Verify(t, k)
	return c, p, err
}

// signedNote returns the C2SP signed note of a verified cosignature:
// the checkpoint body, a blank line and "— <key name> <base64 of key hash
// (4 bytes) and signature>".
func signedNote(networkID string, cs *witness.Cosignature) string {
	root, err := merkle.RootFromInclusionProof(witness.Leaf(cs.Head), cs.Index, cs.TreeSize, cs.Path)
	if err != nil {
		return ""
	}
	v, err := note.NewVerifierForCosignatureV1(witness.VerifierKey(cs.Witness))
	if err != nil {
		return ""
	}
	sig := binary.BigEndian.AppendUint32(nil, v.KeyHash())
	sig = append(sig, cs.Signature...)
	return string(witness.Checkpoint(networkID, cs.TreeSize, root)) + "\n\u2014 " + v.Name() + " " + base64.StdEncoding.EncodeToString(sig) + "\n"
}
