package simnet

import (
	"context"
	"fmt"
	"time"

	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// LightClient is a payer's light client on the simulated network: a host
// that stores no chain (p2p.New with a nil store) and queryproto's
// LightClient on it.
type LightClient struct {
	Index  int // its address is Addr(Index), after the members'
	net    *p2p.Network
	client *queryproto.LightClient
}

// AddLightClient starts a light client that knows the members from the
// genesis and dials the members listed in bootstrap.
func (n *Net) AddLightClient(link Link, bootstrap []int) (*LightClient, error) {
	n.mu.Lock()
	idx := len(n.peers) + len(n.lights)
	n.mu.Unlock()
	key, err := config.GenerateKey()
	if err != nil {
		return nil, err
	}
	var boot []peer.AddrInfo
	for _, b := range bootstrap {
		boot = append(boot, n.AddrInfo(b))
	}
	g := n.genesis
	pn, err := p2p.New(p2p.Config{
		Params: g.ChainParams(), GenesisHash: g.Hash(), Members: g.Members(), Key: key,
		Transports: n.links.Attach(idx, link, nil), Bootstrap: boot,
		Now: time.Now, Logger: n.logger(fmt.Sprintf("light-%d", idx)),
	})
	if err != nil {
		return nil, err
	}
	lc, err := queryproto.NewLightClient(pn.Host(), queryproto.Genesis{NetworkID: g.NetworkID(), Members: g.Members(), Bootstrap: boot})
	if err != nil {
		pn.Close()
		return nil, err
	}
	c := &LightClient{Index: idx, net: pn, client: lc}
	n.mu.Lock()
	n.lights = append(n.lights, c)
	n.mu.Unlock()
	return c, nil
}

// LookupPayment asks any member for a payment and verifies the answer.
// ctx must be live when it is called: queryproto's LookupPayment indexes
// its first error even when ctx ended before it asked anyone.
func (c *LightClient) LookupPayment(ctx context.Context, orderID string) ([]queryproto.Payment, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.client.LookupPayment(ctx, orderID, "")
}

// Close stops the light client's host.
func (c *LightClient) Close() error { return c.net.Close() }
