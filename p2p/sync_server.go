package p2p

import (
	"errors"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/p2p/p2ppb"
	"github.com/libp2p/go-libp2p/core/network"
)

// handleSync serves one SyncRequest per stream: up to MaxSyncBlocks
// consecutive blocks and MaxSyncBytes, members only.
func (n *Network) handleSync(s network.Stream) {
	s.SetDeadline(time.Now().Add(SyncTimeout))
	respond := func(resp *p2ppb.SyncResponse) {
		if err := writeMsg(s, resp); err != nil {
			s.Reset()
			return
		}
		s.Close()
	}
	if !n.IsMember(s.Conn().RemotePeer()) {
		respond(&p2ppb.SyncResponse{Status: p2ppb.SyncStatus_SYNC_STATUS_UNAUTHORIZED, Error: "sync is for members"})
		return
	}
	var req p2ppb.SyncRequest
	release, err := readMsg(s, s.Scope(), &req, MaxSyncRequestBytes)
	if err != nil {
		respond(&p2ppb.SyncResponse{Status: p2ppb.SyncStatus_SYNC_STATUS_BAD_REQUEST, Error: err.Error()})
		return
	}
	release() // the request is a few bytes, never reserved
	if len(req.Issuer) != len(chain.IssuerID{}) || req.FromHeight == 0 || req.Count == 0 || req.Count > MaxSyncBlocks {
		respond(&p2ppb.SyncResponse{Status: p2ppb.SyncStatus_SYNC_STATUS_BAD_REQUEST,
			Error: "want a 32-byte issuer, from_height >= 1 and 1 <= count <= 128"})
		return
	}
	if err := reserve(s, MaxSyncBytes); err != nil {
		respond(&p2ppb.SyncResponse{Status: p2ppb.SyncStatus_SYNC_STATUS_RATE_LIMITED, Error: "busy"})
		return
	}
	defer s.Scope().ReleaseMemory(MaxSyncBytes)
	n.stats.syncServed.Add(1)
	respond(n.syncBlocks(chain.IssuerID(req.Issuer), req.FromHeight, int(req.Count)))
}

// syncBlocks reads the requested range, stopping at the byte cap or the
// end of the chain. A block whose expired entries were pruned ships them as
// their leaf hash and key (pruned.go).
func (n *Network) syncBlocks(iss chain.IssuerID, from uint64, count int) *p2ppb.SyncResponse {
	resp := &p2ppb.SyncResponse{Status: p2ppb.SyncStatus_SYNC_STATUS_OK}
	size := 0
	for h := from; h < from+uint64(count); h++ {
		b, err := n.cfg.Store.Block(iss, h)
		if errors.Is(err, store.ErrNotFound) {
			break
		}
		if err != nil {
			if !errors.Is(err, store.ErrCorrupt) { // the store logs corruption, rate-limited
				n.log.Error("reading block for sync", "issuer", iss.Short(), "height", h, "err", err)
			}
			if len(resp.Blocks) == 0 {
				return &p2ppb.SyncResponse{Status: p2ppb.SyncStatus_SYNC_STATUS_INTERNAL, Error: "store error"}
			}
			break
		}
		data := encodeSyncBlock(b)
		if size+len(data) > MaxSyncBytes-1024 {
			break
		}
		size += len(data)
		resp.Blocks = append(resp.Blocks, data)
	}
	if len(resp.Blocks) == 0 {
		return &p2ppb.SyncResponse{Status: p2ppb.SyncStatus_SYNC_STATUS_NOT_FOUND, Error: "no such block"}
	}
	return resp
}
