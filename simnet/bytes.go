package simnet

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/libp2p/go-libp2p/core/metrics"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// ByteCounter counts a host's stream bytes in and out, in total and per
// protocol: libp2p's bandwidth reporter without the rate meters (whose
// global sweeper goroutine would outlive a synctest bubble).
type ByteCounter struct {
	in, out atomic.Int64

	mu      sync.Mutex
	byProto map[protocol.ID]*metrics.Stats
}

var _ metrics.Reporter = (*ByteCounter)(nil)

// NewByteCounter returns a zeroed counter.
func NewByteCounter() *ByteCounter {
	return &ByteCounter{byProto: make(map[protocol.ID]*metrics.Stats)}
}

func (c *ByteCounter) LogSentMessage(n int64) { c.out.Add(n) }
func (c *ByteCounter) LogRecvMessage(n int64) { c.in.Add(n) }

func (c *ByteCounter) LogSentMessageStream(n int64, p protocol.ID, _ peer.ID) {
	c.mu.Lock()
	c.proto(p).TotalOut += n
	c.mu.Unlock()
}

func (c *ByteCounter) LogRecvMessageStream(n int64, p protocol.ID, _ peer.ID) {
	c.mu.Lock()
	c.proto(p).TotalIn += n
	c.mu.Unlock()
}

func (c *ByteCounter) proto(p protocol.ID) *metrics.Stats {
	s := c.byProto[p]
	if s == nil {
		s = &metrics.Stats{}
		c.byProto[p] = s
	}
	return s
}

func (c *ByteCounter) GetBandwidthForPeer(peer.ID) metrics.Stats { return metrics.Stats{} }

func (c *ByteCounter) GetBandwidthForProtocol(p protocol.ID) metrics.Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.byProto[p]; s != nil {
		return *s
	}
	return metrics.Stats{}
}

func (c *ByteCounter) GetBandwidthTotals() metrics.Stats {
	return metrics.Stats{TotalIn: c.in.Load(), TotalOut: c.out.Load()}
}

func (c *ByteCounter) GetBandwidthByPeer() map[peer.ID]metrics.Stats { return nil }

func (c *ByteCounter) GetBandwidthByProtocol() map[protocol.ID]metrics.Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[protocol.ID]metrics.Stats, len(c.byProto))
	for p, s := range c.byProto {
		out[p] = *s
	}
	return out
}

func (c *ByteCounter) Reset() {
	c.in.Store(0)
	c.out.Store(0)
	c.mu.Lock()
	c.byProto = make(map[protocol.ID]*metrics.Stats)
	c.mu.Unlock()
}

func (c *ByteCounter) TrimIdle(time.Time) {}
