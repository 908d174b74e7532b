package simnet

import (
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	libp2pquic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	sim "github.com/marcopolo/simnet"
	ma "github.com/multiformats/go-multiaddr"
)

// Link is one peer's access link to the simulated network.
type Link struct {
	// Latency is the one-way delay this peer's link adds to every packet it
	// sends or receives: a packet from a to b waits a.Latency + b.Latency
	// (plus the regions' extra latency). Two peers with 12.5 ms links are
	// 25 ms apart one way.
	Latency time.Duration
	// UplinkBps and DownlinkBps are the link's bandwidth, in bits/s.
	UplinkBps, DownlinkBps int
	// MTU is the largest packet, in bytes (QUIC needs at least 1200;
	// default 1500).
	MTU int
	// Region names the peer's region; packets between regions wait
	// Links.RegionLatency more.
	Region string
}

// Links is the simulated network every peer's host is attached to: one
// marcopolo/simnet router with a link per peer, latency computed per
// packet from the two ends, and cuts (partitions, isolated peers) that
// drop packets as they are sent.
type Links struct {
	// RegionLatency is the extra one-way latency between two regions.
	RegionLatency time.Duration

	sim *sim.Simnet

	mu     sync.RWMutex
	byIP   map[[4]byte]*endpoint
	groups map[int]int // peer -> partition group, while partitioned
	alone  map[int]bool
}

type endpoint struct {
	idx   int
	link  Link
	conns []*sim.SimConn // every endpoint the peer opened, over restarts
}

// NewLinks starts an empty simulated network. Close stops it.
func NewLinks(regionLatency time.Duration) *Links {
	l := &Links{RegionLatency: regionLatency, byIP: make(map[[4]byte]*endpoint), alone: make(map[int]bool)}
	l.sim = &sim.Simnet{LatencyFunc: l.latency, Logger: discardLogger()}
	l.sim.Start()
	return l
}

// Close stops the router and every link; hosts must be closed first.
func (l *Links) Close() { l.sim.Close() }

// IP is peer idx's simulated address (simlibp2p's numbering: public-looking
// IPv4 addresses that exist only inside this process).
func IP(idx int) net.IP { return sim.IntToPublicIPv4(idx).To4() }

// Addr is peer idx's listen multiaddr: QUIC on port 8000 of IP(idx).
func Addr(idx int) ma.Multiaddr {
	return ma.StringCast(fmt.Sprintf("/ip4/%s/udp/8000/quic-v1", IP(idx)))
}

// Attach registers peer idx's link and returns the libp2p options that put
// a host on it: QUIC only, over simlibp2p's simulated UDP, listening on
// Addr(idx). Attaching again (a restarted peer) replaces the link.
func (l *Links) Attach(idx int, link Link, bw *ByteCounter) []libp2p.Option {
	if link.MTU == 0 {
		link.MTU = 1500
	}
	l.mu.Lock()
	ep := l.byIP[[4]byte(IP(idx))]
	if ep == nil {
		ep = &endpoint{idx: idx}
		l.byIP[[4]byte(IP(idx))] = ep
	}
	ep.link = link
	l.mu.Unlock()
	settings := sim.NodeBiDiLinkSettings{
		Uplink:   sim.LinkSettings{BitsPerSecond: link.UplinkBps, MTU: link.MTU},
		Downlink: sim.LinkSettings{BitsPerSecond: link.DownlinkBps, MTU: link.MTU},
	}
	opts := []libp2p.Option{
		libp2p.Transport(libp2pquic.NewTransport),
		libp2p.ListenAddrs(Addr(idx)),
		quicSimnet(l.sim, settings, IP(idx), func(c *sim.SimConn) net.PacketConn {
			l.mu.Lock()
			ep.conns = append(ep.conns, c)
			l.mu.Unlock()
			return &cutConn{SimConn: c, links: l, from: idx}
		}),
		// Identify's address discovery stalls synctest (x/simlibp2p).
		libp2p.DisableIdentifyAddressDiscovery(),
		// The simulated addresses look public, so libp2p would count QUIC
		// dials to them in its UDP black-hole detector; dials that time out
		// on a CPU-starved machine must not make it refuse the others.
		libp2p.UDPBlackHoleSuccessCounter(nil),
		libp2p.IPv6BlackHoleSuccessCounter(nil),
	}
	if bw != nil {
		opts = append(opts, libp2p.BandwidthReporter(bw))
	}
	return opts
}

// latency is the router's per-packet delay: both ends' link latency and
// the regions' extra latency.
func (l *Links) latency(p *sim.Packet) time.Duration {
	from, to := ipOf(p.From), ipOf(p.To)
	l.mu.RLock()
	defer l.mu.RUnlock()
	a, b := l.byIP[from], l.byIP[to]
	if a == nil || b == nil {
		return 0 // the router drops it: no such address
	}
	d := a.link.Latency + b.link.Latency
	if a.link.Region != b.link.Region {
		d += l.RegionLatency
	}
	return d
}

func ipOf(a net.Addr) [4]byte {
	if u, ok := a.(*net.UDPAddr); ok {
		if v4 := u.IP.To4(); v4 != nil {
			return [4]byte(v4)
		}
	}
	return [4]byte{}
}

// Partition splits the peers: packets pass only between peers of the same
// group. Peers missing from groups are in group 0.
func (l *Links) Partition(groups map[int]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.groups = make(map[int]int, len(groups))
	for k, v := range groups {
		l.groups[k] = v
	}
}

// Heal ends a partition.
func (l *Links) Heal() {
	l.mu.Lock()
	l.groups = nil
	l.mu.Unlock()
}

// Isolate cuts or restores every packet to and from peer idx (a crash is
// an isolation followed by a stop, so the peer says no goodbye).
func (l *Links) Isolate(idx int, cut bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cut {
		l.alone[idx] = true
	} else {
		delete(l.alone, idx)
	}
}

// cut reports whether a packet from peer from to address to is dropped.
func (l *Links) cut(from int, to net.Addr) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if len(l.alone) == 0 && l.groups == nil {
		return false
	}
	b := l.byIP[ipOf(to)]
	if b == nil {
		return false
	}
	return l.alone[from] || l.alone[b.idx] || (l.groups != nil && l.groups[from] != l.groups[b.idx])
}

// WireBytes returns the bytes peer idx's endpoints sent and received,
// QUIC headers and retransmissions included, over all its restarts.
func (l *Links) WireBytes(idx int) (sent, rcvd int64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	ep := l.byIP[[4]byte(IP(idx))]
	if ep == nil {
		return 0, 0
	}
	for _, c := range ep.conns {
		st := c.Stats()
		sent += int64(st.BytesSent)
		rcvd += int64(st.BytesRcvd)
	}
	return sent, rcvd
}

// cutConn is a peer's simulated endpoint that drops what it sends across a
// cut, as a switch would.
type cutConn struct {
	*sim.SimConn
	links *Links
	from  int
}

func (c *cutConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if c.links.cut(c.from, addr) {
		return len(p), nil
	}
	return c.SimConn.WriteTo(p, addr)
}
