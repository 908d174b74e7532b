package cert

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/cert/certpb"
	"github.com/credmesh/credmesh/chain/witness"
	"google.golang.org/protobuf/proto"
)

// Magic starts every certificate file; its last digit is the format's
// version. The 4-byte big-endian length of the encoded Certificate follows
// it, so that a file cut short at a field boundary (a shorter Certificate
// that would decode) fails.
const Magic = "credmesh/cert/v1\n"

// prefixLen is the length of Magic and the body length.
const prefixLen = len(Magic) + 4

// MaxBytes bounds a certificate Decode reads: far beyond one of a network
// of MaxMembers cosigning members.
const MaxBytes = 1 << 20

// MaxPathLen bounds every audit path of a certificate (2^32 leaves).
const MaxPathLen = witness.MaxPathLen

// Cert is a decoded certificate; Verify checks it.
type Cert struct {
	NetworkID   string
	GenesisHash chain.Hash
	// OrderID opens the record; "" in a sealed certificate.
	OrderID string
	// Proof is the entry, its leaf index and audit path, and the block's
	// signed header.
	Proof     chain.Proof
	Witnessed []Witnessed // sorted by head height, strictly increasing
}

// Witnessed is one head of the block's chain covering the block, and
// cosignatures of it.
type Witnessed struct {
	// Head is the covering head's signed header; nil when it is the block
	// itself.
	Head *chain.SignedHeader
	// HistoryPath is the block's path into Head's history (none when Head
	// is nil).
	HistoryPath []chain.Hash
	// Cosignatures of the covering head, sorted by witness key; their Head
	// field is the covering head.
	Cosignatures []witness.Cosignature
}

// covering returns the head w's cosignatures are of.
func (w *Witnessed) covering(block *chain.SignedHeader) *chain.SignedHeader {
	if w.Head == nil {
		return block
	}
	return w.Head
}

// headOf is the witness head of a signed header.
func headOf(h *chain.SignedHeader) witness.Head {
	return witness.Head{Issuer: h.Issuer, Height: h.Height, Hash: h.Hash}
}

// Marshal returns the certificate file: Magic and the deterministic
// encoding. It refuses a certificate that breaks the order rules (New
// makes one that keeps them).
func (c *Cert) Marshal() ([]byte, error) {
	if c.Proof.Header == nil {
		return nil, invalid("no block header")
	}
	if err := c.checkOrder(); err != nil {
		return nil, err
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c.proto())
	if err != nil {
		return nil, fmt.Errorf("cert: encoding: %w", err)
	}
	out := binary.BigEndian.AppendUint32([]byte(Magic), uint32(len(b)))
	return append(out, b...), nil
}

func (c *Cert) proto() *certpb.Certificate {
	pb := &certpb.Certificate{NetworkId: c.NetworkID, GenesisHash: c.GenesisHash[:], OrderId: c.OrderID,
		Entry: c.Proof.Entry, Index: c.Proof.Index, EntryPath: hashes(c.Proof.Path), Block: signedProto(c.Proof.Header)}
	for _, w := range c.Witnessed {
		wp := &certpb.WitnessedHead{HistoryPath: hashes(w.HistoryPath), Trees: trees(w.Cosignatures)}
		if w.Head != nil {
			wp.Head = signedProto(w.Head)
		}
		pb.Witnessed = append(pb.Witnessed, wp)
	}
	return pb
}

// trees groups cosignatures (sorted by witness key) by the statement tree
// they are of: tree size, leaf index and audit path. Trees come in the
// order of their first witness.
func trees(cs []witness.Cosignature) []*certpb.CosignedTree {
	var out []*certpb.CosignedTree
	at := map[string]int{}
	for _, c := range cs {
		k := treeKey(c)
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, &certpb.CosignedTree{TreeSize: c.TreeSize, Index: c.Index, Path: hashes(c.Path)})
		}
		out[i].Signatures = append(out[i].Signatures, &certpb.WitnessSignature{Witness: c.Witness[:], Signature: c.Signature})
	}
	return out
}

func treeKey(c witness.Cosignature) string {
	k := binary.BigEndian.AppendUint64(nil, c.TreeSize)
	k = binary.BigEndian.AppendUint64(k, c.Index)
	for _, h := range c.Path {
		k = append(k, h[:]...)
	}
	return string(k)
}

func signedProto(h *chain.SignedHeader) *certpb.SignedHeader {
	return &certpb.SignedHeader{Header: h.Raw, Signature: h.Signature}
}

func hashes(hs []chain.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}

// Decode reads a certificate file, refusing every encoding but the one
// Marshal writes. It checks shapes and order, not signatures or proofs
// (Verify).
func Decode(data []byte) (*Cert, error) {
	if len(data) > MaxBytes {
		return nil, invalid("%d bytes, limit %d", len(data), MaxBytes)
	}
	if !bytes.HasPrefix(data, []byte(Magic)) {
		return nil, invalid("not a credmesh certificate of version 1 (it does not start with %q)", Magic)
	}
	if len(data) < prefixLen || binary.BigEndian.Uint32(data[len(Magic):]) != uint32(len(data)-prefixLen) {
		return nil, invalid("the length after the magic is not that of the rest: cut short or lengthened")
	}
	body := data[prefixLen:]
	var pb certpb.Certificate
	if err := chain.UnmarshalStrict(body, &pb); err != nil {
		return nil, invalid("encoding: %v", err)
	}
	c := &Cert{NetworkID: pb.NetworkId, OrderID: pb.OrderId}
	if len(pb.GenesisHash) != 32 {
		return nil, invalid("genesis hash of %d bytes", len(pb.GenesisHash))
	}
	c.GenesisHash = chain.Hash(pb.GenesisHash)
	if len(pb.Entry) == 0 {
		return nil, invalid("no entry")
	}
	var err error
	c.Proof.Entry, c.Proof.Index = pb.Entry, pb.Index
	if c.Proof.Path, err = path("entry path", pb.EntryPath); err != nil {
		return nil, err
	}
	if c.Proof.Header, err = signed("block header", pb.Block); err != nil {
		return nil, err
	}
	for i, wp := range pb.Witnessed {
		var w Witnessed
		if wp.Head != nil {
			if w.Head, err = signed(fmt.Sprintf("witnessed head %d", i), wp.Head); err != nil {
				return nil, err
			}
		}
		if w.HistoryPath, err = path(fmt.Sprintf("witnessed head %d: history path", i), wp.HistoryPath); err != nil {
			return nil, err
		}
		head := headOf(w.covering(c.Proof.Header))
		for j, tp := range wp.Trees {
			tpath, err := path(fmt.Sprintf("witnessed head %d: tree %d: path", i, j), tp.Path)
			if err != nil {
				return nil, err
			}
			for k, sp := range tp.Signatures {
				if len(sp.Witness) != 32 {
					return nil, invalid("witnessed head %d: tree %d: signature %d: witness of %d bytes", i, j, k, len(sp.Witness))
				}
				w.Cosignatures = append(w.Cosignatures, witness.Cosignature{Witness: chain.IssuerID(sp.Witness), Head: head,
					TreeSize: tp.TreeSize, Index: tp.Index, Path: tpath, Signature: sp.Signature})
			}
		}
		slices.SortStableFunc(w.Cosignatures, func(a, b witness.Cosignature) int { return bytes.Compare(a.Witness[:], b.Witness[:]) })
		c.Witnessed = append(c.Witnessed, w)
	}
	if err := c.checkOrder(); err != nil {
		return nil, err
	}
	// The one encoding of this content must be the bytes read: this
	// refuses what strict decoding lets through (default values written,
	// non-minimal varints, trees split, merged or out of order).
	again, err := c.Marshal()
	if err != nil || !bytes.Equal(again, data) {
		return nil, invalid("not in canonical form: the encoding of its content differs")
	}
	return c, nil
}

func path(what string, nodes [][]byte) ([]chain.Hash, error) {
	if len(nodes) > MaxPathLen {
		return nil, invalid("%s of %d nodes, limit %d", what, len(nodes), MaxPathLen)
	}
	out := make([]chain.Hash, len(nodes))
	for i, n := range nodes {
		if len(n) != 32 {
			return nil, invalid("%s: node %d of %d bytes", what, i, len(n))
		}
		out[i] = chain.Hash(n)
	}
	return out, nil
}

func signed(what string, pb *certpb.SignedHeader) (*chain.SignedHeader, error) {
	if pb == nil {
		return nil, invalid("no %s", what)
	}
	h, err := chain.DecodeSignedHeader(pb.Header, pb.Signature)
	if err != nil {
		return nil, invalid("%s: %v", what, err)
	}
	return h, nil
}

// checkOrder checks the rules that make the encoding of a content unique:
// heads by height strictly increasing (the block itself, when present,
// first), a history path only with a head, at least one cosignature per
// head, cosignatures by witness key strictly increasing, and each witness
// once in the certificate.
func (c *Cert) checkOrder() error {
	seen := make(map[chain.IssuerID]bool)
	var last uint64
	for i, w := range c.Witnessed {
		if w.Head == nil && len(w.HistoryPath) != 0 {
			return invalid("witnessed head %d: a history path without a head", i)
		}
		h := w.covering(c.Proof.Header).Height
		if i > 0 && h <= last {
			return invalid("witnessed head %d at height %d is not after the one before at %d", i, h, last)
		}
		last = h
		if len(w.Cosignatures) == 0 {
			return invalid("witnessed head %d has no cosignature", i)
		}
		for j, cs := range w.Cosignatures {
			if j > 0 && bytes.Compare(w.Cosignatures[j-1].Witness[:], cs.Witness[:]) >= 0 {
				return invalid("witnessed head %d: cosignatures %d and %d are not in witness key order", i, j-1, j)
			}
			if seen[cs.Witness] {
				return invalid("witness %s cosigns twice", cs.Witness.Short())
			}
			seen[cs.Witness] = true
		}
	}
	return nil
}
