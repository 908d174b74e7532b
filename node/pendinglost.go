package node

import "github.com/credmesh/credmesh/api"

// pendingLost reports the records lost when damaged pending logs were set
// aside (credmesh pending set-aside), or nil if none were.
func (n *Node) pendingLost() *api.PendingLost {
	l, err := n.store.PendingLost()
	if err != nil {
		n.log.Error("reading the pending loss record", "err", err)
		return nil
	}
	if l.Records == 0 {
		return nil
	}
	return &api.PendingLost{Records: l.Records, At: l.At.UTC(), MovedTo: l.Dir}
}
