package p2p_test

import (
	"bufio"
	"sync"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/p2p/p2ppb"
	"github.com/libp2p/go-libp2p/core/network"
	"google.golang.org/protobuf/encoding/protodelim"
)

// scripted is a genesis member run by the test: a rogue gossip host that
// also answers status with whatever status the test scripts, and sync from
// the blocks it is given, which need not be one chain. What honest peers
// make of its claims is what the tests look at.
type scripted struct {
	*rogue
	mu     sync.Mutex
	status *p2ppb.Status // nil: no status handler
	blocks map[chain.IssuerID]map[uint64]*chain.Block
	asked  chan uint64 // from_height of every sync request, if there is room
}

// newScripted starts member key with the given status (nil: it does not
// speak status) and blocks to serve, connected to the given peers.
func newScripted(t *testing.T, key int, status *p2ppb.Status, blocks []*chain.Block, connect ...*peerNode) *scripted {
	t.Helper()
	s := &scripted{
		rogue:  newRogue(t, chaintest.Key(key)),
		status: status,
		blocks: make(map[chain.IssuerID]map[uint64]*chain.Block),
		asked:  make(chan uint64, 64),
	}
	for _, b := range blocks {
		if s.blocks[b.Issuer] == nil {
			s.blocks[b.Issuer] = make(map[uint64]*chain.Block)
		}
		s.blocks[b.Issuer][b.Height] = b
	}
	if status != nil {
		s.h.SetStreamHandler(p2p.StatusProtocol(chaintest.NetworkID), s.handleStatus)
	}
	s.h.SetStreamHandler(p2p.SyncProtocol(chaintest.NetworkID), s.handleSync)
	for _, p := range connect {
		if err := s.h.Connect(t.Context(), p.info()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// setStatus changes the status it answers with.
func (s *scripted) setStatus(st *p2ppb.Status) {
	s.mu.Lock()
	s.status = st
	s.mu.Unlock()
}

func (s *scripted) handleStatus(st network.Stream) {
	defer st.Close()
	var theirs p2ppb.Status
	if err := protodelim.UnmarshalFrom(bufio.NewReader(st), &theirs); err != nil {
		st.Reset()
		return
	}
	s.mu.Lock()
	ours := s.status
	s.mu.Unlock()
	protodelim.MarshalTo(st, ours)
}

func (s *scripted) handleSync(st network.Stream) {
	defer st.Close()
	var req p2ppb.SyncRequest
	if err := protodelim.UnmarshalFrom(bufio.NewReader(st), &req); err != nil {
		st.Reset()
		return
	}
	select {
	case s.asked <- req.FromHeight:
	default:
	}
	resp := &p2ppb.SyncResponse{Status: p2ppb.SyncStatus_SYNC_STATUS_OK}
	s.mu.Lock()
	chainBlocks := s.blocks[chain.IssuerID(req.Issuer)]
	for h := req.FromHeight; h < req.FromHeight+uint64(req.Count); h++ {
		b, ok := chainBlocks[h]
		if !ok {
			break
		}
		resp.Blocks = append(resp.Blocks, b.Marshal())
	}
	s.mu.Unlock()
	if len(resp.Blocks) == 0 {
		resp = &p2ppb.SyncResponse{Status: p2ppb.SyncStatus_SYNC_STATUS_NOT_FOUND, Error: "no such block"}
	}
	protodelim.MarshalTo(st, resp)
}

// statusOf is a status of our genesis with the given heads and evidence.
func statusOf(heads []*chain.SignedHeader, evs ...*chain.Evidence) *p2ppb.Status {
	st := &p2ppb.Status{GenesisHash: genesisHash[:]}
	for _, h := range heads {
		st.Heads = append(st.Heads, h.Proto())
	}
	for _, ev := range evs {
		st.Evidence = append(st.Evidence, &chainpb.Evidence{A: ev.A.Proto(), B: ev.B.Proto()})
	}
	return st
}

// verified validates blocks as one chain from nil, for a peer's store.
func verified(t *testing.T, blocks []*chain.Block) []*chain.VerifiedBlock {
	t.Helper()
	var (
		out  []*chain.VerifiedBlock
		head *chain.SignedHeader
	)
	for _, b := range blocks {
		vb, err := chain.ValidateBlock(b, head, members, params(), b.Time)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vb)
		head = b.SignedHeader
	}
	return out
}
