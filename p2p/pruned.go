package p2p

import (
	"fmt"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/merkle"
	"github.com/credmesh/credmesh/p2p/p2ppb"
	"google.golang.org/protobuf/proto"
)

// Sync ships blocks as p2ppb.SyncBlock: a chain.v1.Block whose pruned
// entries are empty and stand as their leaf hash and key (PROTOCOL.md §9).
// A whole block encodes to the same bytes as its chain.v1.Block; only
// blocks from which the server pruned expired entries carry the pruned
// list, and the receiver checks them with chain.ValidateSynced. Gossip
// never carries this form (chain.ValidateBlock refuses it).

// maxSyncBlockBytes bounds one encoded SyncBlock: a block's wire limit and,
// per entry, room for a pruned entry's index, leaf hash and key.
func maxSyncBlockBytes(p chain.Params) int {
	return p.MaxWireBlockBytes() + p.MaxBlockEntries*(64+chain.MaxIDLen)
}

// encodeSyncBlock encodes b, its pruned entries included.
func encodeSyncBlock(b *chain.Block) []byte {
	m := &p2ppb.SyncBlock{Header: b.Proto(), Entries: b.Entries}
	if len(b.Pruned) > 0 {
		m.Entries = make([][]byte, len(b.Entries))
		for i, e := range b.Entries {
			if e == nil {
				e = []byte{} // present, empty: keeps the entry's position
			}
			m.Entries[i] = e
		}
		for _, pe := range b.Pruned {
			m.Pruned = append(m.Pruned, &p2ppb.PrunedEntry{Index: pe.Index, LeafHash: pe.Leaf[:], Key: pe.Key})
		}
	}
	data, err := proto.Marshal(m)
	if err != nil {
		panic(err) // bytes and integers cannot fail to encode
	}
	return data
}

// decodeSyncBlock decodes a SyncBlock. It checks shapes only;
// chain.ValidateSynced checks the rest.
func decodeSyncBlock(data []byte, p chain.Params) (*chain.Block, error) {
	if limit := maxSyncBlockBytes(p); len(data) > limit {
		return nil, fmt.Errorf("%w: synced block of %d bytes, limit %d", chain.ErrOversized, len(data), limit)
	}
	var m p2ppb.SyncBlock
	if err := proto.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: synced block: %v", chain.ErrMalformed, err)
	}
	if m.Header == nil {
		return nil, fmt.Errorf("%w: synced block has no header", chain.ErrMalformed)
	}
	sh, err := chain.DecodeSignedHeader(m.Header.Header, m.Header.Signature)
	if err != nil {
		return nil, err
	}
	b := &chain.Block{SignedHeader: sh, Entries: m.Entries}
	for _, pe := range m.Pruned {
		if len(pe.LeafHash) != merkle.Size {
			return nil, fmt.Errorf("%w: pruned entry %d has a leaf hash of %d bytes", chain.ErrMalformed, pe.Index, len(pe.LeafHash))
		}
		b.Pruned = append(b.Pruned, chain.PrunedEntry{Index: pe.Index, Leaf: merkle.Hash(pe.LeafHash), Key: pe.Key})
	}
	return b, nil
}
