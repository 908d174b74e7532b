package p2p

import (
	"context"
	"errors"
	"sync"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
)

// AwaitBlocksMesh returns once this peer's gossipsub mesh on the blocks
// topic holds at least size peers: from then on a block it publishes goes
// straight to them. It publishes nothing: the readiness check runs inside
// pubsub's event loop (so it reads the mesh without a race), records the
// answer and always reports "not ready", and the publish is abandoned once
// the mesh is there.
func (n *Network) AwaitBlocksMesh(ctx context.Context, size int) error {
	ready := make(chan struct{})
	var once sync.Once
	check := func(rt pubsub.PubSubRouter, topic string) (bool, error) {
		if ok, _ := pubsub.MinTopicSize(size)(rt, topic); ok {
			once.Do(func() { close(ready) })
		}
		return false, nil
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- n.blocks.Publish(pctx, nil, pubsub.WithReadiness(check)) }()
	select {
	case <-ready:
		cancel()
		<-done
		return nil
	case err := <-done:
		if err == nil {
			err = errors.New("p2p: the mesh probe was published")
		}
		return err
	}
}
