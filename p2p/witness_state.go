package p2p

import (
	"sync"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/merkle"
	"github.com/credmesh/credmesh/chain/witness"
)

// WitnessTopic carries cosigned heads and witness equivocation evidence
// (docs/PROTOCOL.md 17).
func WitnessTopic(network string) string { return "/credmesh/" + network + "/witness/1" }

// witnessing is a member's witness state, under its own lock: what it
// last cosigned itself, the newest verified statement of every witness,
// the witnesses proven to equivocate, and the counters status shows.
type witnessing struct {
	order []chain.IssuerID // members by key: WitnessHead.member counts here

	mu         sync.Mutex
	last       []witness.Head // what we last cosigned (persisted first)
	statements map[chain.IssuerID]*heldStatement
	forked     map[chain.IssuerID]*witness.Evidence
	per        map[chain.IssuerID]*witnessCounts
	made       uint64
	refused    uint64
	sinceFull  int // statements gossiped as changes since the last full one
	lastMade   time.Time
}

// heldStatement is a verified statement with its Merkle tree, for paths.
type heldStatement struct {
	s    *witness.Statement
	tree *merkle.Tree
	at   time.Time // when we accepted it
}

// witnessCounts are one witness's counters, as we saw them.
type witnessCounts struct {
	received, rejected, ignored, otherView, missing uint64
}

func newWitnessing(members chain.Members) *witnessing {
	return &witnessing{
		order:      witness.MemberOrder(members),
		statements: make(map[chain.IssuerID]*heldStatement),
		forked:     make(map[chain.IssuerID]*witness.Evidence),
		per:        make(map[chain.IssuerID]*witnessCounts),
	}
}

// countsLocked returns w's counters, made on first use.
func (ws *witnessing) countsLocked(w chain.IssuerID) *witnessCounts {
	c := ws.per[w]
	if c == nil {
		c = &witnessCounts{}
		ws.per[w] = c
	}
	return c
}

func (ws *witnessing) count(w chain.IssuerID, f func(*witnessCounts)) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	f(ws.countsLocked(w))
}

// base returns w's newest statement held, nil if none: what a statement
// gossiped as changes updates.
func (ws *witnessing) base(w chain.IssuerID) *witness.Statement {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if h := ws.statements[w]; h != nil {
		return h.s
	}
	return nil
}

// hold keeps s as w's newest statement.
func (ws *witnessing) holdLocked(s *witness.Statement, at time.Time) {
	ws.statements[s.Witness] = &heldStatement{s: s, tree: merkle.NewTree(witness.Leaves(s.Heads)), at: at}
}

// WitnessView is one witness as this peer sees it (status, /metrics).
type WitnessView struct {
	Witness chain.IssuerID
	// Received counts the witness's statements we verified and kept;
	// for ourselves, the statements we made.
	Received uint64
	// Rejected counts its messages that were provably bad (bad signature,
	// malformed); Ignored those we could not judge or that came too soon.
	Rejected, Ignored uint64
	// OtherView counts its statements that cosigned a block at a height we
	// hold with another hash: a split view shown to it or to us.
	OtherView uint64
	// Missing counts our witness periods at whose end its newest statement
	// was more than two periods old.
	Missing uint64
	// LastTime is the signing time of its newest statement (zero: none).
	LastTime time.Time
	// BlocksBehind sums, over the chains we hold, how many blocks its
	// newest statement is behind our head (a chain it does not cosign
	// counts whole).
	BlocksBehind uint64
	// Forked says we hold evidence that it equivocated.
	Forked bool
}

// WitnessStatus is the witness section of a peer's status.
type WitnessStatus struct {
	Period time.Duration
	// Made counts the statements this peer cosigned since it started;
	// Refused the candidate heads it refused for not extending the head
	// it cosigned before.
	Made, Refused uint64
	LastMade      time.Time
	// Witnesses are every member but this peer, by key.
	Witnesses []WitnessView
}

// WitnessStatus returns what the peer knows of witnessing.
func (n *Network) WitnessStatus() WitnessStatus {
	ws := n.witness
	out := WitnessStatus{Period: n.cfg.Params.WitnessInterval()}
	if ws == nil {
		return out
	}
	heads := n.cfg.Store.Heads()
	ws.mu.Lock()
	defer ws.mu.Unlock()
	out.Made, out.Refused, out.LastMade = ws.made, ws.refused, ws.lastMade
	for _, w := range ws.order {
		if w == n.self {
			continue
		}
		v := WitnessView{Witness: w}
		if c := ws.per[w]; c != nil {
			v.Received, v.Rejected, v.Ignored, v.OtherView, v.Missing = c.received, c.rejected, c.ignored, c.otherView, c.missing
		}
		_, v.Forked = ws.forked[w]
		held := ws.statements[w]
		if held != nil {
			v.LastTime = held.s.Time()
		}
		for iss, h := range heads {
			var cos uint64
			if held != nil {
				if hd, _, ok := held.s.HeadOf(iss); ok {
					cos = hd.Height
				}
			}
			if h.Height > cos {
				v.BlocksBehind += h.Height - cos
			}
		}
		out.Witnesses = append(out.Witnesses, v)
	}
	return out
}

// Cosignatures returns the cosignature of chain iss by every witness whose
// newest statement cosigns it at height minHeight or above, but of none we
// hold equivocation evidence against. A payment answer carries them.
func (n *Network) Cosignatures(iss chain.IssuerID, minHeight uint64) []witness.Cosignature {
	ws := n.witness
	if ws == nil {
		return nil
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	var out []witness.Cosignature
	for _, w := range ws.order {
		held := ws.statements[w]
		if held == nil || ws.forked[w] != nil {
			continue
		}
		c, ok := witness.CosignatureOf(held.s, held.tree, iss)
		if ok && c.Head.Height >= minHeight {
			out = append(out, c)
		}
	}
	return out
}

// WitnessForked returns the evidence against every witness known to have
// equivocated.
func (n *Network) WitnessForked() map[chain.IssuerID]*witness.Evidence {
	out := make(map[chain.IssuerID]*witness.Evidence)
	if n.witness == nil {
		return out
	}
	n.witness.mu.Lock()
	defer n.witness.mu.Unlock()
	for w, ev := range n.witness.forked {
		out[w] = ev
	}
	return out
}

// merkleTree returns the tree of s's leaves.
func merkleTree(s *witness.Statement) *merkle.Tree { return merkle.NewTree(witness.Leaves(s.Heads)) }
