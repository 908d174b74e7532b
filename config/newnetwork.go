package config

import (
	"errors"
	"fmt"
	"net"
	"strings"

	ma "github.com/multiformats/go-multiaddr"
)

// CheckDialable checks what Validate lets pass for a peer run alone but a
// network cannot use: a listen port 0 (a random port at each start, which
// the genesis cannot list and other members cannot dial; for the API, the
// port the commands of this home would not find). init and genesis new
// refuse such a configuration; the result wraps ErrInvalid.
func (c Config) CheckDialable() error {
	var errs []error
	for i, s := range c.P2P.Listen {
		if port, ok := listenPort(s); ok && port == "0" {
			errs = append(errs, fieldErr(ConfigFile, fmt.Sprintf("p2p.listen[%d]", i),
				"%q: port 0 picks a random port at each start, which other members cannot dial: choose a fixed port", s))
		}
	}
	if _, port, err := net.SplitHostPort(c.API.Listen); err == nil && port == "0" {
		errs = append(errs, fieldErr(ConfigFile, "api.listen",
			"%q: port 0 picks a random port at each start, which credmesh status and submit would not find: choose a fixed port", c.API.Listen))
	}
	return errors.Join(errs...)
}

// listenPort returns the TCP or UDP port of a multiaddr.
func listenPort(s string) (string, bool) {
	m, err := ma.NewMultiaddr(s)
	if err != nil {
		return "", false
	}
	for _, code := range []int{ma.P_TCP, ma.P_UDP} {
		if v, err := m.ValueForProtocol(code); err == nil {
			return v, true
		}
	}
	return "", false
}

// tcpListenPort returns the TCP port and host of a multiaddr such as
// /ip4/0.0.0.0/tcp/7600.
func tcpListenPort(s string) (host, port string, ok bool) {
	m, err := ma.NewMultiaddr(s)
	if err != nil {
		return "", "", false
	}
	port, err = m.ValueForProtocol(ma.P_TCP)
	if err != nil {
		return "", "", false
	}
	for _, code := range []int{ma.P_IP4, ma.P_IP6, ma.P_DNS, ma.P_DNS4, ma.P_DNS6} {
		if v, err := m.ValueForProtocol(code); err == nil {
			return v, port, true
		}
	}
	return "", port, true
}

// sameTCPPort reports whether a p2p listen address and the API's
// host:port would bind the same TCP port: one port, and a wildcard on
// either side or the same host.
func sameTCPPort(p2pAddr, apiListen string) bool {
	host, port, ok := tcpListenPort(p2pAddr)
	apiHost, apiPort, err := net.SplitHostPort(apiListen)
	if !ok || err != nil || port != apiPort || port == "0" {
		return false
	}
	wild := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return wild(host) || wild(apiHost) || strings.EqualFold(host, apiHost) ||
		(apiHost == "localhost" && (host == "127.0.0.1" || host == "::1"))
}

// CheckNew checks what LoadGenesis accepts from an existing network but
// a new genesis should not have: two members with one name (case and
// surrounding blanks aside), which logs, status and billing could not
// tell apart, and member addresses with port 0, which nobody can dial.
// genesis new refuses such a genesis; the result wraps ErrInvalid.
func (g *Genesis) CheckNew() error {
	var errs []error
	first := make(map[string]int)
	for i, m := range g.members {
		key := strings.ToLower(strings.TrimSpace(m.Name))
		if j, dup := first[key]; dup {
			errs = append(errs, fieldErr(GenesisFile, fmt.Sprintf("members[%d].name", i),
				"%q is already the name of members[%d] (%s): give every member its own name", m.Name, j, g.members[j].ID))
		} else {
			first[key] = i
		}
		for k, a := range m.Addrs {
			if port, ok := listenPort(a.String()); ok && port == "0" {
				errs = append(errs, fieldErr(GenesisFile, fmt.Sprintf("members[%d].addrs[%d]", i, k),
					"%s (%s): port 0 cannot be dialled: give the member a fixed port", a, m.Name))
			}
		}
	}
	return errors.Join(errs...)
}
