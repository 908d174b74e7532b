package simnet

import (
	"net"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/p2p/transport/quicreuse"
	sim "github.com/marcopolo/simnet"
	"github.com/quic-go/quic-go"
	"go.uber.org/fx"
)

// quicSimnet is go-libp2p's x/simlibp2p.QUICSimnet (v0.51.0), carried here
// because x/simlibp2p imports testing and testify in non-test code: every
// UDP socket the host's QUIC transport asks for is a simulated endpoint on
// sn with the given link, and its source IP is ip. Unlike the original it
// hands each endpoint to wrap, which may filter its packets and read its
// counters.
func quicSimnet(sn *sim.Simnet, link sim.NodeBiDiLinkSettings, ip net.IP, wrap func(*sim.SimConn) net.PacketConn) libp2p.Option {
	sel := fixedSourceIP{ip}
	opts := []quicreuse.Option{
		quicreuse.OverrideSourceIPSelector(func() (quicreuse.SourceIPSelector, error) { return sel, nil }),
		quicreuse.OverrideListenUDP(func(_ string, addr *net.UDPAddr) (net.PacketConn, error) {
			return wrap(sn.NewEndpoint(addr, link)), nil
		}),
	}
	return libp2p.QUICReuse(
		func(l fx.Lifecycle, srk quic.StatelessResetKey, tk quic.TokenGeneratorKey, opts ...quicreuse.Option) (*quicreuse.ConnManager, error) {
			cm, err := quicreuse.NewConnManager(srk, tk, opts...)
			if err != nil {
				return nil, err
			}
			// A conn manager passed in is not closed by the host
			// (x/simlibp2p does the same).
			l.Append(fx.StopHook(cm.Close))
			return cm, nil
		}, opts...)
}

// fixedSourceIP answers the peer's own address as the source of every
// packet: the simulated network has no routing table to ask.
type fixedSourceIP struct{ ip net.IP }

func (s fixedSourceIP) PreferredSourceIPForDestination(*net.UDPAddr) (net.IP, error) {
	return s.ip, nil
}
