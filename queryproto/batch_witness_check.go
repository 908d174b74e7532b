package queryproto

import (
	"errors"
	"fmt"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/witness"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p/core/peer"
)

// BatchCosigned is one cosigned head of a batch answer: its signed header
// (decoded, not verified) and its cosignatures as sent.
type BatchCosigned struct {
	Head         *chain.SignedHeader
	Cosignatures []*chainpb.HeadCosignature
}

// decodeBatchWitnessed decodes a batch answer's cosigned heads and checks
// their shape: every reference in range, at most maxWitnessedHeads heads
// per block and maxCosignaturesPerHead cosignatures per head.
func decodeBatchWitnessed(pb *querypb.PaymentBatchResponse, out *BatchAnswer) error {
	if len(pb.Cosigned) > len(pb.Witnessed) {
		return fmt.Errorf("%w: %d cosigned heads for %d references to them", ErrMalformed, len(pb.Cosigned), len(pb.Witnessed))
	}
	if len(pb.Witnessed) > maxWitnessedHeads*len(pb.Headers) {
		return fmt.Errorf("%w: %d witnessed references for %d headers", ErrMalformed, len(pb.Witnessed), len(pb.Headers))
	}
	for i, c := range pb.Cosigned {
		if c.Head == nil || len(c.Cosignatures) == 0 || len(c.Cosignatures) > maxCosignaturesPerHead {
			return fmt.Errorf("%w: cosigned head %d without a head or with %d cosignatures", ErrMalformed, i, len(c.Cosignatures))
		}
		h, err := chain.DecodeSignedHeader(c.Head.Header, c.Head.Signature)
		if err != nil {
			return fmt.Errorf("%w: cosigned head %d: %w", ErrMalformed, i, err)
		}
		out.Cosigned = append(out.Cosigned, BatchCosigned{Head: h, Cosignatures: c.Cosignatures})
	}
	perHeader := make(map[uint32]int)
	for i, w := range pb.Witnessed {
		if int(w.Header) >= len(pb.Headers) || int(w.Head) >= len(pb.Cosigned) {
			return fmt.Errorf("%w: witnessed reference %d names header %d of %d, head %d of %d", ErrMalformed, i, w.Header, len(pb.Headers), w.Head, len(pb.Cosigned))
		}
		if perHeader[w.Header]++; perHeader[w.Header] > maxWitnessedHeads {
			return fmt.Errorf("%w: header %d has over %d witnessed heads", ErrMalformed, w.Header, maxWitnessedHeads)
		}
	}
	out.Witnessed = pb.Witnessed
	return nil
}

// batchWitnesses checks the cosigned heads of a batch answer, each head's
// signature and each of its cosignatures once for the whole batch, and
// each block's place in the history of the heads said to cover it, as
// checkWitnesses does for one answer. It returns, per header, the
// distinct members other than the block's issuer with a valid cosignature
// of a head covering it. Anything that does not verify fails the check
// "witness" for the whole answer.
func (lc *LightClient) batchWitnesses(p peer.ID, ba *BatchAnswer) ([]map[chain.IssuerID]bool, error) {
	g := lc.genesis
	valid := make([][]chain.IssuerID, len(ba.Cosigned))
	for j, c := range ba.Cosigned {
		fail := func(err error) error {
			return &CheckError{Peer: p, Check: "witness", Err: fmt.Errorf("cosigned head %d: %w", j, err)}
		}
		if c.Head.NetworkID != g.NetworkID {
			return nil, fail(errors.New("the head is of another network"))
		}
		if err := lc.verified.verify(c.Head); err != nil {
			return nil, fail(err)
		}
		head := witness.Head{Issuer: c.Head.Issuer, Height: c.Head.Height, Hash: c.Head.Hash}
		for k, cpb := range c.Cosignatures {
			cs, err := witness.CosignatureFromProto(cpb, head.Issuer)
			if err != nil {
				return nil, fail(fmt.Errorf("cosignature %d: %w", k, err))
			}
			if cs.Head != head {
				return nil, fail(fmt.Errorf("cosignature %d is of another head", k))
			}
			if err := cs.Verify(g.NetworkID, g.Members); err != nil {
				return nil, fail(fmt.Errorf("cosignature %d: %w", k, err))
			}
			valid[j] = append(valid[j], cs.Witness)
		}
	}
	counts := make([]map[chain.IssuerID]bool, len(ba.Headers))
	for i, w := range ba.Witnessed {
		block, head := ba.Headers[w.Header], ba.Cosigned[w.Head].Head
		fail := func(err error) error {
			return &CheckError{Peer: p, Check: "witness", Err: fmt.Errorf("witnessed reference %d (header %d, head %d): %w", i, w.Header, w.Head, err)}
		}
		switch {
		case head.Issuer != block.Issuer:
			return nil, fail(errors.New("the head is of another chain"))
		case head.Hash == block.Hash:
			if len(w.HistoryPath) != 0 {
				return nil, fail(errors.New("a history path from a block to itself"))
			}
		case head.Height <= block.Height:
			return nil, fail(fmt.Errorf("the head at height %d is not after the block at %d", head.Height, block.Height))
		default:
			if _, err := inHistory(block, head, w.HistoryPath); err != nil {
				return nil, fail(err)
			}
		}
		if counts[w.Header] == nil {
			counts[w.Header] = make(map[chain.IssuerID]bool)
		}
		for _, wit := range valid[w.Head] {
			if wit != block.Issuer {
				counts[w.Header][wit] = true
			}
		}
	}
	return counts, nil
}

// unwitnessed returns the WitnessError of the first proof whose block has
// fewer than the policy's cosignatures, nil if none.
func (lc *LightClient) unwitnessed(p peer.ID, proofs []*chain.Proof, headerIndex map[*chain.SignedHeader]int, counts []map[chain.IssuerID]bool) error {
	want := lc.set.witnesses
	if want == 0 {
		return nil
	}
	for _, pr := range proofs {
		have := 0
		if i, ok := headerIndex[pr.Header]; ok {
			have = len(counts[i])
		}
		if have < want {
			return &WitnessError{Peer: p, Issuer: pr.Header.Issuer, Height: pr.Header.Height, Have: have, Want: want}
		}
	}
	return nil
}
