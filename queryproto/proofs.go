package queryproto

import (
	"fmt"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/merkle"
	"github.com/credmesh/credmesh/queryproto/querypb"
)

// proofToPB returns the wire form of an inclusion proof.
func proofToPB(p *chain.Proof) *querypb.Proof {
	path := make([][]byte, len(p.Path))
	for i := range p.Path {
		path[i] = p.Path[i][:]
	}
	return &querypb.Proof{Entry: p.Entry, Index: p.Index, Path: path, Header: p.Header.Proto()}
}

// proofFromPB decodes a proof and checks its shape: an entry of sensible
// size, an index inside the block, 32-byte path elements, and a header that
// decodes. It does not verify anything; chain.Proof.Verify does.
func proofFromPB(p *querypb.Proof) (*chain.Proof, error) {
	if p.Header == nil {
		return nil, fmt.Errorf("%w: proof has no header", ErrMalformed)
	}
	h, err := chain.DecodeSignedHeader(p.Header.Header, p.Header.Signature)
	if err != nil {
		return nil, fmt.Errorf("%w: proof header: %w", ErrMalformed, err)
	}
	return checkedProof(p.Entry, p.Index, p.Path, h)
}

// checkedProof checks a proof's shape against its decoded header (an
// entry of sensible size, an index inside the block, 32-byte path
// elements) and returns it. It verifies nothing.
func checkedProof(entry []byte, index uint32, wirePath [][]byte, h *chain.SignedHeader) (*chain.Proof, error) {
	if len(entry) == 0 || len(entry) > maxEntryBytes {
		return nil, fmt.Errorf("%w: proof entry of %d bytes", ErrMalformed, len(entry))
	}
	if len(wirePath) > maxPathLen {
		return nil, fmt.Errorf("%w: audit path of %d hashes", ErrMalformed, len(wirePath))
	}
	if index >= h.EntryCount {
		return nil, fmt.Errorf("%w: leaf %d of a block of %d entries", ErrMalformed, index, h.EntryCount)
	}
	path := make([]chain.Hash, len(wirePath))
	for i, b := range wirePath {
		if len(b) != merkle.Size {
			return nil, fmt.Errorf("%w: audit path hash %d has %d bytes", ErrMalformed, i, len(b))
		}
		path[i] = chain.Hash(b)
	}
	return &chain.Proof{Entry: entry, Index: index, Path: path, Header: h}, nil
}

// evidenceFromPB decodes evidence as chain.DecodeEvidence does (its size
// cap, two headers that decode); it verifies nothing.
func evidenceFromPB(pb *chainpb.Evidence) (*chain.Evidence, error) {
	ev, err := chain.EvidenceFromProto(pb)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return ev, nil
}
