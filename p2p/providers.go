package p2p

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	dhtpb "github.com/libp2p/go-libp2p-kad-dht/pb"
	"github.com/libp2p/go-libp2p-kad-dht/records"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-base32"
	mh "github.com/multiformats/go-multihash"
)

// The DHT keeps nothing an outsider sends (PROTOCOL.md §10). Values are
// off (dht.DisableValues): PUT_VALUE and GET_VALUE have no handler, and
// the DHT resets the stream that carries one. Provider records are taken
// only from members, only for the rendezvous key, with at most
// maxProviderAddrs addresses: any other ADD_PROVIDER is stripped of its
// provider peers by the request hook (screenDHTRequest) before the DHT
// handles it, so the DHT refuses it and resets the stream without touching
// the peerstore or the datastore. go-libp2p-kad-dht v0.42 takes no custom
// ProviderStore, so the records live in a datastore of ours
// (providerDatastore), which refuses a record of a non-member and caps
// count and bytes: a second line if a request ever gets past the hook.

// Limits of the provider records a member keeps.
const (
	maxProviderAddrs = 16       // addresses per provider record
	maxProviderBytes = 64 << 10 // keys and values in the provider datastore
)

// rendezvousKey is the multihash members provide and look each other up
// by: SHA2-256 of the rendezvous string, as go-libp2p's routing discovery
// makes its CID.
func rendezvousKey(network string) []byte {
	h, err := mh.Sum([]byte(Rendezvous(network)), mh.SHA2_256, -1)
	if err != nil {
		panic(err) // SHA2-256 is always available
	}
	return h
}

// screenDHTRequests returns the DHT's request hook: it runs before every
// request is handled, and disarms the writes we refuse (counted in
// Stats.DHTRefused).
func (n *Network) screenDHTRequests() func(context.Context, network.Stream, *dhtpb.Message) {
	rendezvous := string(rendezvousKey(n.cfg.Params.NetworkID))
	return func(_ context.Context, s network.Stream, req *dhtpb.Message) {
		n.screenDHTRequest(rendezvous, s, req)
	}
}

func (n *Network) screenDHTRequest(rendezvous string, s network.Stream, req *dhtpb.Message) {
	switch req.GetType() {
	case dhtpb.Message_PUT_VALUE, dhtpb.Message_GET_VALUE:
		n.stats.dhtRefused.Add(1) // no handler: the DHT resets the stream
	case dhtpb.Message_ADD_PROVIDER:
		from := s.Conn().RemotePeer()
		if !n.IsMember(from) || string(req.GetKey()) != rendezvous {
			req.ProviderPeers = nil // "no valid provider": refused, stream reset
			n.stats.dhtRefused.Add(1)
			return
		}
		for _, p := range req.ProviderPeers {
			if len(p.Addrs) > maxProviderAddrs {
				p.Addrs = p.Addrs[:maxProviderAddrs]
			}
		}
	}
}

// errProviderRefused is a provider record the datastore will not keep.
var errProviderRefused = errors.New("p2p: provider record refused")

// providerDatastore is the DHT's provider datastore: in memory, keeping
// records of members only, at most maxRecords of them and maxProviderBytes
// in all. The provider manager writes one key per (content key, provider):
// /providers/<base32 key>/<base32 peer ID>.
type providerDatastore struct {
	ds.Batching
	isMember   func(peer.ID) bool
	maxRecords int

	mu    sync.Mutex
	sizes map[ds.Key]int
	bytes int
	count atomic.Int64
}

func newProviderDatastore(isMember func(peer.ID) bool, members int) *providerDatastore {
	return &providerDatastore{
		Batching:   dssync.MutexWrap(ds.NewMapDatastore()),
		isMember:   isMember,
		maxRecords: max(2*members, 64),
		sizes:      make(map[ds.Key]int),
	}
}

// Put keeps a record of a member, within the caps.
func (d *providerDatastore) Put(ctx context.Context, k ds.Key, v []byte) error {
	s := k.String()
	if !strings.HasPrefix(s, records.ProvidersKeyPrefix) {
		return fmt.Errorf("%w: key %q is not a provider record", errProviderRefused, s)
	}
	raw, err := base32.RawStdEncoding.DecodeString(s[strings.LastIndexByte(s, '/')+1:])
	if err != nil || !d.isMember(peer.ID(raw)) {
		return fmt.Errorf("%w: the provider is not a member", errProviderRefused)
	}
	size := len(s) + len(v)
	d.mu.Lock()
	defer d.mu.Unlock()
	old, exists := d.sizes[k]
	if !exists && len(d.sizes) >= d.maxRecords || d.bytes-old+size > maxProviderBytes {
		return fmt.Errorf("%w: the provider store is full (%d records, %d bytes)", errProviderRefused, len(d.sizes), d.bytes)
	}
	if err := d.Batching.Put(ctx, k, v); err != nil {
		return err
	}
	d.sizes[k], d.bytes = size, d.bytes-old+size
	d.count.Store(int64(len(d.sizes)))
	return nil
}

// Delete drops a record (the provider manager's expiry).
func (d *providerDatastore) Delete(ctx context.Context, k ds.Key) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.Batching.Delete(ctx, k); err != nil {
		return err
	}
	d.bytes -= d.sizes[k]
	delete(d.sizes, k)
	d.count.Store(int64(len(d.sizes)))
	return nil
}

// Batch writes through Put and Delete, so batches obey the same rules.
func (d *providerDatastore) Batch(context.Context) (ds.Batch, error) {
	return ds.NewBasicBatch(d), nil
}
