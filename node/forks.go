package node

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/libp2p/go-libp2p/core/peer"
)

// forks lists every issuer proven forked, with the operator's
// acknowledgement if there is one.
func (n *Node) forks() []api.ForkStatus {
	forked := n.net.Forked()
	if len(forked) == 0 {
		return nil
	}
	acks, err := n.store.EvidenceAcks()
	if err != nil {
		n.log.Error("reading fork acknowledgements", "err", err)
	}
	out := make([]api.ForkStatus, 0, len(forked))
	for iss, ev := range forked {
		out = append(out, n.forkStatus(iss, ev, acks))
	}
	slices.SortFunc(out, func(a, b api.ForkStatus) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Issuer, b.Issuer)
	})
	return out
}

// forksUnacknowledged counts the forks no operator has acknowledged.
func (n *Node) forksUnacknowledged() float64 {
	c := 0
	for _, f := range n.forks() {
		if f.Acknowledged == nil {
			c++
		}
	}
	return float64(c)
}

func (n *Node) forkStatus(iss chain.IssuerID, ev *chain.Evidence, acks map[chain.IssuerID]store.EvidenceAck) api.ForkStatus {
	f := api.ForkStatus{
		Issuer: peerString(iss), Name: n.nameOf(iss), Height: ev.A.Height,
		Hashes: []string{ev.A.Hash.String(), ev.B.Hash.String()},
	}
	if a, ok := acks[iss]; ok {
		f.Acknowledged = &api.ForkAck{At: a.At.UTC(), Note: a.Note}
	}
	return f
}

// AckFork records that the fork of issuer was investigated. The evidence
// stays: the issuer is forked for good, and every answer about it says so.
func (n *Node) AckFork(issuer, note string) (*api.ForkStatus, error) {
	id, err := peer.Decode(issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a peer ID", api.ErrBadRequest, issuer)
	}
	iss, err := peerid.Issuer(id)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	note = strings.TrimSpace(note)
	switch {
	case note == "":
		return nil, fmt.Errorf("%w: say what was found (a note is required)", api.ErrBadRequest)
	case len(note) > store.MaxAckNoteBytes:
		return nil, fmt.Errorf("%w: the note has %d bytes, at most %d", api.ErrBadRequest, len(note), store.MaxAckNoteBytes)
	case !utf8.ValidString(note):
		return nil, fmt.Errorf("%w: the note is not UTF-8", api.ErrBadRequest)
	}
	ev := n.net.EvidenceOf(iss)
	if ev == nil {
		return nil, fmt.Errorf("%w: no equivocation evidence against %s", api.ErrNotFound, issuer)
	}
	err = n.store.AckEvidence(iss, store.EvidenceAck{At: n.opts.Now(), Note: note})
	switch {
	case errors.Is(err, store.ErrNoEvidence):
		return nil, fmt.Errorf("%w: the evidence against %s is not stored yet; try again", api.ErrBusy, issuer)
	case errors.Is(err, store.ErrDiskFull):
		return nil, fmt.Errorf("%w: %v", api.ErrInsufficientStorage, err)
	case err != nil:
		return nil, err
	}
	acks, err := n.store.EvidenceAcks()
	if err != nil {
		return nil, err
	}
	f := n.forkStatus(iss, ev, acks)
	return &f, nil
}
