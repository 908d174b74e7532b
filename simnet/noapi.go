package simnet

import (
	"context"
	"crypto/ed25519"
	"errors"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/builder"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/records"
)

// A workaround, to delete once node.Run runs without an API.
//
// node.Run logs n.api.Addr() before its loop starts, and n.api is nil when
// Options.NoAPI is set, so Run panics for every simulated peer; with an API
// instead, its HTTP listener is real network I/O, which no synctest bubble
// can wait for. When Run panics (Peer.run recovers it), the peer runs this
// loop instead: the same store, network, builder and order of I/O as
// node.Run (persist, then publish), over the node that node.New built.

// ownLoop seals and publishes the peer's chain in node.Run's place.
type ownLoop struct {
	nd      *node.Node
	b       *builder.Builder
	rc      records.Context
	cancel  context.CancelFunc
	done    chan error
	drained chan struct{} // closed when every sealed block was published
}

func startOwnLoop(nd *node.Node, o node.Options) (*ownLoop, error) {
	params := o.Genesis.ChainParams()
	b, err := builder.New(builder.Config{Params: params, Key: o.Key, Store: nd.Store(), Now: o.Now, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &ownLoop{
		nd: nd, b: b, cancel: cancel, done: make(chan error, 1),
		drained: make(chan struct{}),
		rc:      records.Context{NetworkID: params.NetworkID, Issuer: chain.IssuerOf(o.Key.Public().(ed25519.PublicKey)), Secret: o.Secret},
	}
	go func() { l.done <- b.Run(ctx) }()
	go func() {
		defer close(l.drained)
		for blk := range b.Sealed() {
			l.publish(blk)
		}
	}()
	return l, nil
}

func (l *ownLoop) publish(b *chain.Block) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l.nd.Network().Publish(ctx, b) // on failure peers sync it, as node.publish says
}

// submit is node.Submit over our builder.
func (l *ownLoop) submit(ctx context.Context, recs []records.Record) ([]error, error) {
	errs := make([]error, len(recs))
	var entries []*chainpb.Entry
	var at []int
	for i := range recs {
		e, err := recs[i].Entry(l.rc)
		if err != nil {
			errs[i] = err
			continue
		}
		entries = append(entries, e)
		at = append(at, i)
	}
	if len(entries) == 0 {
		return errs, nil
	}
	res, err := l.b.Submit(ctx, entries)
	if err != nil {
		return nil, err
	}
	for j, e := range res {
		errs[at[j]] = e
	}
	return errs, nil
}

// stop is node.shutdown: seal what is pending and publish it, stop the
// builder, close the network and the store.
func (l *ownLoop) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ferr := l.b.Flush(ctx)
	if errors.Is(ferr, builder.ErrClosed) {
		ferr = nil
	}
	l.cancel()
	berr := <-l.done
	<-l.drained
	return errors.Join(ferr, berr, l.nd.Network().Close(), l.nd.Store().Close())
}
