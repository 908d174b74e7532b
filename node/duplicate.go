package node

import (
	"fmt"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"google.golang.org/protobuf/proto"
)

// duplicate marks a record refused as already accepted that is the
// record accepted before: the API answers it "duplicate", not "refused".
type duplicate struct{ error }

// samePayment tells a resubmission from a reused order ID. The builder
// refuses a payment whose order ID was accepted before (the key is the
// order ID's lookup hash, not the record), which is a duplicate only when
// the record this peer holds under that order ID is the same record; one
// that differs was not stored and is refused, so that a mistyped or reused
// order ID is never taken for a harmless resubmission. A payment not sealed
// yet (still in the pending pool) cannot be read back and is taken for a
// duplicate: a resubmission that soon is one.
func (n *Node) samePayment(e *chainpb.Entry, orderID string, refusal error) error {
	sp := e.GetPayment()
	if sp == nil {
		return duplicate{refusal}
	}
	submitted, err := chain.OpenPayment(n.params.NetworkID, orderID, n.self, sp)
	if err != nil {
		return duplicate{refusal}
	}
	locs, err := n.store.LookupPayment(sp.Lookup)
	if err != nil {
		return duplicate{refusal}
	}
	for _, loc := range locs {
		if loc.Issuer != n.self {
			continue
		}
		data, err := n.store.Entry(loc)
		if err != nil {
			continue
		}
		held, err := chain.DecodeEntry(data, len(data))
		if err != nil || held.GetPayment() == nil {
			continue
		}
		rec, err := chain.OpenPayment(n.params.NetworkID, orderID, n.self, held.GetPayment())
		if err != nil {
			continue
		}
		if proto.Equal(rec, submitted) {
			return duplicate{refusal}
		}
		return fmt.Errorf("order_id: already used by another payment, accepted before at block %d with other fields: this record was not stored; give it an order ID of its own", loc.Height)
	}
	return duplicate{refusal}
}
