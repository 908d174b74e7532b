package queryproto

import (
	"errors"
	"fmt"
	"slices"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/witness"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"github.com/libp2p/go-libp2p/core/peer"
)

// maxWitnessedHeads bounds the heads an answer may show cosignatures of
// per proof; maxCosignaturesPerHead bounds the cosignatures of one head
// (one per member, and members are at most this many on a light client's
// reading).
const (
	maxWitnessedHeads      = 4
	maxCosignaturesPerHead = 1024
)

// witnessed returns the cosignatures of heads that cover proof i's block:
// those of the block itself, and of later heads of its chain (each with
// its signed header and the block's path into its history), at most
// maxWitnessedHeads heads, those with the most cosignatures first.
func (s *Server) witnessed(i int, p *chain.Proof) []*querypb.Witnessed {
	if s.cfg.Cosignatures == nil {
		return nil
	}
	type group struct {
		head witness.Head
		w    *querypb.Witnessed
	}
	var groups []*group
	for _, c := range s.cfg.Cosignatures(p.Header.Issuer, p.Header.Height) {
		var g *group
		for _, x := range groups {
			if x.head == c.Head {
				g = x
			}
		}
		if g == nil {
			g = &group{head: c.Head, w: &querypb.Witnessed{Proof: uint32(i)}}
			if c.Head.Height == p.Header.Height {
				if c.Head.Hash != p.Header.Hash {
					continue // another block at this height: not ours to serve
				}
			} else if !s.historyOf(g.w, p.Header, c.Head) {
				continue
			}
			groups = append(groups, g)
		}
		if len(g.w.Cosignatures) < maxCosignaturesPerHead {
			g.w.Cosignatures = append(g.w.Cosignatures, c.Proto())
		}
	}
	slices.SortStableFunc(groups, func(a, b *group) int { return len(b.w.Cosignatures) - len(a.w.Cosignatures) })
	var out []*querypb.Witnessed
	for _, g := range groups[:min(len(groups), maxWitnessedHeads)] {
		out = append(out, g.w)
	}
	return out
}

// historyOf fills w with the signed header of head and block's path into
// its history, from the store; false if the store does not hold head.
func (s *Server) historyOf(w *querypb.Witnessed, block *chain.SignedHeader, head witness.Head) bool {
	h, err := s.cfg.Store.Header(head.Issuer, head.Height)
	if err != nil || h.Hash != head.Hash {
		return false
	}
	path, err := s.cfg.Store.HistoryProof(head.Issuer, block.Height, head.Height)
	if err != nil {
		return false
	}
	w.Head = h.Proto()
	for _, n := range path {
		w.HistoryPath = append(w.HistoryPath, append([]byte(nil), n[:]...))
	}
	return true
}

// DefaultWitnesses is the light client's default policy for a record of a
// network of n members: a majority of the members other than its issuer
// (0 in a network of one).
func DefaultWitnesses(n int) int {
	if n <= 1 {
		return 0
	}
	return (n-1)/2 + 1
}

// WithWitnesses sets how many witnesses other than a record's issuer must
// have cosigned a head covering its block (docs/PROTOCOL.md 17.6); a
// negative k takes DefaultWitnesses of the genesis. The default of a light
// client is 0, which checks none: callers choose their policy (credmesh
// query payment defaults to DefaultWitnesses). It must be at most the
// members less one.
func WithWitnesses(k int) LightOption {
	return func(s *lookupSettings) { s.witnesses = k }
}

// ErrUnwitnessed is a record whose block too few witnesses cosigned.
var ErrUnwitnessed = errors.New("queryproto: too few witnesses cosigned the record's block")

// WitnessError is an answer whose record (or one of them) was cosigned by
// fewer witnesses than the policy wants. It matches ErrUnwitnessed.
type WitnessError struct {
	Peer       peer.ID
	Issuer     chain.IssuerID
	Height     uint64
	Have, Want int
}

func (e *WitnessError) Error() string {
	return fmt.Sprintf("%v: peer %s: block %d of issuer %s has %d valid cosignatures, the policy wants %d",
		ErrUnwitnessed, e.Peer, e.Height, e.Issuer.Short(), e.Have, e.Want)
}

func (e *WitnessError) Is(target error) bool { return target == ErrUnwitnessed }

// checkWitnesses checks the cosignatures an answer served and that each
// record's block has at least the policy's number of them, from distinct
// members other than its issuer. A cosignature that does not verify, or
// one served for a head that does not cover the block, fails the
// "witness" check: a server serves only those it verified.
//
// It returns, per proof, the heads covering its block with their verified
// cosignatures by members other than its issuer.
func (l *lookup) checkWitnesses(p peer.ID, proofs []*chain.Proof, ws []*querypb.Witnessed) ([][]WitnessedHead, error) {
	want := l.lc.set.witnesses
	g := l.lc.genesis
	counts := make([]map[chain.IssuerID]bool, len(proofs))
	out := make([][]WitnessedHead, len(proofs))
	for j, w := range ws {
		fail := func(err error) error {
			return &CheckError{Peer: p, Check: "witness", Err: fmt.Errorf("witnessed head %d: %w", j, err)}
		}
		if int(w.Proof) >= len(proofs) {
			return nil, fail(fmt.Errorf("names proof %d of %d", w.Proof, len(proofs)))
		}
		if len(w.Cosignatures) > maxCosignaturesPerHead {
			return nil, fail(fmt.Errorf("%d cosignatures", len(w.Cosignatures)))
		}
		pr := proofs[w.Proof]
		head, signed, hpath, err := l.coveringHead(pr.Header, w)
		if err != nil {
			return nil, fail(err)
		}
		wh := WitnessedHead{Head: signed, HistoryPath: hpath}
		if counts[w.Proof] == nil {
			counts[w.Proof] = make(map[chain.IssuerID]bool)
		}
		for k, cpb := range w.Cosignatures {
			c, err := witness.CosignatureFromProto(cpb, pr.Header.Issuer)
			if err != nil {
				return nil, fail(fmt.Errorf("cosignature %d: %w", k, err))
			}
			if c.Head.Height != head.Height || c.Head.Hash != head.Hash {
				return nil, fail(fmt.Errorf("cosignature %d is of another head", k))
			}
			if err := c.Verify(g.NetworkID, g.Members); err != nil {
				return nil, fail(fmt.Errorf("cosignature %d: %w", k, err))
			}
			if c.Witness != pr.Header.Issuer {
				counts[w.Proof][c.Witness] = true
				wh.Cosignatures = append(wh.Cosignatures, c)
			}
		}
		if len(wh.Cosignatures) > 0 {
			out[w.Proof] = append(out[w.Proof], wh)
		}
	}
	for i, pr := range proofs {
		if have := len(counts[i]); have < want {
			return nil, &WitnessError{Peer: p, Issuer: pr.Header.Issuer, Height: pr.Header.Height, Have: have, Want: want}
		}
	}
	return out, nil
}

// coveringHead returns the head a Witnessed entry's cosignatures are of:
// the proof's own block, or a later signed head of its chain whose history
// holds it.
// It also returns that head's signed header and the history path (nil for
// the block itself).
func (l *lookup) coveringHead(block *chain.SignedHeader, w *querypb.Witnessed) (witness.Head, *chain.SignedHeader, []chain.Hash, error) {
	if w.Head == nil {
		if len(w.HistoryPath) != 0 {
			return witness.Head{}, nil, nil, errors.New("a history path without a head")
		}
		return witness.Head{Issuer: block.Issuer, Height: block.Height, Hash: block.Hash}, nil, nil, nil
	}
	h, err := l.signedHead(w.Head, block)
	if err != nil {
		return witness.Head{}, nil, nil, err
	}
	path, err := inHistory(block, h, w.HistoryPath)
	if err != nil {
		return witness.Head{}, nil, nil, err
	}
	return witness.Head{Issuer: h.Issuer, Height: h.Height, Hash: h.Hash}, h, path, nil
}

// signedHead decodes and verifies a cosigned head of block's chain.
func (l *lookup) signedHead(pb *chainpb.SignedHeader, block *chain.SignedHeader) (*chain.SignedHeader, error) {
	h, err := chain.DecodeSignedHeader(pb.Header, pb.Signature)
	if err != nil {
		return nil, err
	}
	switch {
	case h.Issuer != block.Issuer || h.NetworkID != block.NetworkID:
		return nil, errors.New("the head is of another chain")
	case h.Height <= block.Height:
		return nil, fmt.Errorf("the head at height %d is not after the block at %d", h.Height, block.Height)
	}
	if err := l.lc.verified.verify(h); err != nil {
		return nil, err
	}
	return h, nil
}
