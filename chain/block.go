package chain

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/merkle"
	"google.golang.org/protobuf/proto"
)

// Block is a decoded block: its signed header and its entries as shipped.
// An entry pruned after its expiry is empty in Entries and stands in
// Pruned, sorted by index (blocks read from a store or received through
// sync only; see PrunedEntry).
type Block struct {
	*SignedHeader
	Entries [][]byte
	Pruned  []PrunedEntry
}

// DecodeBlock decodes an encoded chainpb.Block no larger than the
// parameters allow. It checks shapes only; ValidateBlock checks the rest.
func DecodeBlock(data []byte, p Params) (*Block, error) {
	if max := p.MaxWireBlockBytes(); len(data) > max {
		return nil, fmt.Errorf("%w: block of %d bytes, limit %d", ErrOversized, len(data), max)
	}
	var pb chainpb.Block
	if err := proto.Unmarshal(data, &pb); err != nil {
		return nil, fmt.Errorf("%w: block: %v", ErrMalformed, err)
	}
	if pb.Header == nil {
		return nil, fmt.Errorf("%w: block has no header", ErrMalformed)
	}
	sh, err := DecodeSignedHeader(pb.Header.Header, pb.Header.Signature)
	if err != nil {
		return nil, err
	}
	return &Block{SignedHeader: sh, Entries: pb.Entries}, nil
}

// Marshal returns the encoded chainpb.Block, the form gossip carries. It
// has no room for pruned entries (they come out empty): sync ships those
// in a form of its own.
func (b *Block) Marshal() []byte {
	data, err := proto.Marshal(&chainpb.Block{Header: b.Proto(), Entries: b.Entries})
	if err != nil {
		panic(err) // bytes fields cannot fail to encode
	}
	return data
}

// LeafHashes returns the Merkle leaf hash of every entry.
func LeafHashes(entries [][]byte) []Hash {
	leaves := make([]Hash, len(entries))
	for i, e := range entries {
		leaves[i] = merkle.LeafHash(e)
	}
	return leaves
}

// NewBlock builds and signs the block that follows head (nil for the first
// block of a chain; else with its History, as the store's heads and every
// sealed or validated block carry it) with the given encoded entries. It does not validate the
// entries; the builder has done so when they were accepted.
func NewBlock(networkID string, head *SignedHeader, entries [][]byte, key ed25519.PrivateKey, now time.Time) (*Block, error) {
	b, _, err := SealBlock(networkID, head, entries, key, now)
	return b, err
}

// SealBlock is NewBlock that also returns the Merkle tree it built.
func SealBlock(networkID string, head *SignedHeader, entries [][]byte, key ed25519.PrivateKey, now time.Time) (*Block, *merkle.Tree, error) {
	if len(entries) == 0 {
		return nil, nil, fmt.Errorf("chain: a block needs at least one entry")
	}
	tree := merkle.NewTree(LeafHashes(entries))
	h := Header{
		NetworkID:   networkID,
		Issuer:      IssuerOf(key.Public().(ed25519.PublicKey)),
		Height:      1,
		Time:        now,
		EntryCount:  uint32(len(entries)),
		EntriesRoot: tree.Root(),
	}
	if head != nil {
		if head.History == nil || head.History.Size() != head.Height {
			return nil, nil, errNoHistory(head)
		}
		h.Height = head.Height + 1
		h.PrevHash = head.Hash
		h.HistoryRoot = head.History.Root()
		if now.Before(head.Time) {
			h.Time = head.Time // never go back in time, even if our clock does
		}
	}
	sh, err := SignHeader(h, key)
	if err != nil {
		return nil, nil, err
	}
	sh = WithHistory(sh, head)
	return &Block{SignedHeader: sh, Entries: entries}, tree, nil
}
