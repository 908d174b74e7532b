package p2p

import (
	"context"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// gatedStream wraps a stream handler in the network's gate: once Close has
// begun, new streams are reset, and Close waits for those being served
// before the caller may close the store.
func (n *Network) gatedStream(h network.StreamHandler) network.StreamHandler {
	return func(s network.Stream) {
		if !n.gate.Enter() {
			s.Reset()
			return
		}
		defer n.gate.Leave()
		h(s)
	}
}

// gatedValidator does the same for a topic validator; a message arriving
// while we shut down is ignored, never rejected (its sender did nothing
// wrong).
func (n *Network) gatedValidator(v func(context.Context, peer.ID, *pubsub.Message) pubsub.ValidationResult) func(context.Context, peer.ID, *pubsub.Message) pubsub.ValidationResult {
	return func(ctx context.Context, from peer.ID, msg *pubsub.Message) pubsub.ValidationResult {
		if !n.gate.Enter() {
			return pubsub.ValidationIgnore
		}
		defer n.gate.Leave()
		return v(ctx, from, msg)
	}
}
