package queryproto

import (
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/witness"
	"github.com/credmesh/credmesh/queryproto/querypb"
	"google.golang.org/protobuf/proto"
)

// batchCosignBudget is the part of a batch answer's bytes kept for
// cosignatures: the records take at most answerBudget less this. A head's
// cosignatures are sent once for every block of the batch it covers (a
// chain's blocks usually share their chain's newest cosigned head), so the
// bytes grow with the chains of a batch, not its records. Heads that do
// not fit are left out; their blocks' items then fail the client's
// witness policy and are asked again.
const batchCosignBudget = 1 << 20

// batchWitnessed adds to a batch answer the cosigned heads covering each
// of its blocks (as witnessed chooses them for a single answer), each
// distinct head with its cosignatures once.
func (s *Server) batchWitnessed(a *batchAnswer) {
	if s.cfg.Cosignatures == nil {
		return
	}
	index := make(map[witness.Head]uint32)
	size := 0
	for i, h := range a.hdrs {
		for _, w := range s.witnessed(i, &chain.Proof{Header: h}) {
			if len(w.Cosignatures) == 0 {
				continue
			}
			c0 := w.Cosignatures[0]
			key := witness.Head{Issuer: h.Issuer, Height: c0.Height, Hash: chain.Hash(c0.Hash)}
			j, ok := index[key]
			if !ok {
				head := w.Head
				if head == nil {
					head = a.out.Headers[i]
				}
				ch := &querypb.BatchCosignedHead{Head: head, Cosignatures: w.Cosignatures}
				if size += proto.Size(ch); size > batchCosignBudget {
					return
				}
				j = uint32(len(a.out.Cosigned))
				index[key] = j
				a.out.Cosigned = append(a.out.Cosigned, ch)
			}
			a.out.Witnessed = append(a.out.Witnessed, &querypb.BatchWitnessed{Header: uint32(i), Head: j, HistoryPath: w.HistoryPath})
		}
	}
}
