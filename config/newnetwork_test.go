package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/config"
	ma "github.com/multiformats/go-multiaddr"
)

func TestCheckDialable(t *testing.T) {
	c := validConfig()
	if err := c.CheckDialable(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	c.P2P.Listen = []string{"/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"}
	c.API.Listen = "127.0.0.1:0"
	err := c.CheckDialable()
	if !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("port 0: got %v, want ErrInvalid", err)
	}
	for _, want := range []string{"p2p.listen[0]", "p2p.listen[1]", "api.listen", "port 0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if err := c.Validate(); err != nil {
		t.Errorf("port 0 is for CheckDialable only, Validate refused it: %v", err)
	}
}

func TestValidateRefusesP2PPortOfTheAPI(t *testing.T) {
	for _, tc := range []struct {
		p2p, api string
		refused  bool
	}{
		{"/ip4/0.0.0.0/tcp/7680", "127.0.0.1:7680", true},
		{"/ip4/127.0.0.1/tcp/7680", "127.0.0.1:7680", true},
		{"/ip4/127.0.0.1/tcp/7680", "localhost:7680", true},
		{"/ip4/127.0.0.1/tcp/7680", "0.0.0.0:7680", true},
		{"/ip4/127.0.0.1/udp/7680/quic-v1", "127.0.0.1:7680", false}, // UDP and TCP
		{"/ip4/10.0.0.1/tcp/7680", "127.0.0.1:7680", false},          // two hosts
		{"/ip4/127.0.0.1/tcp/7600", "127.0.0.1:7680", false},
	} {
		c := validConfig()
		c.P2P.Listen = []string{tc.p2p}
		c.API.Listen = tc.api
		c.API.Token = "0123456789abcdef0123"
		err := c.Validate()
		if got := err != nil && strings.Contains(err.Error(), "uses the TCP port of api.listen"); got != tc.refused {
			t.Errorf("p2p %s, api %s: %v, want refused %v", tc.p2p, tc.api, err, tc.refused)
		}
	}
}

func TestGenesisCheckNew(t *testing.T) {
	n := newTestNet(t)
	g := config.NewGenesis("credmesh-test", time.Now(), n.members, n.params)
	if err := g.CheckNew(); err != nil {
		t.Fatalf("distinct names: %v", err)
	}
	ms := n.members
	ms[2].Name = " " + strings.ToUpper(ms[0].Name)
	ms[1].Addrs = []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/0")}
	err := config.NewGenesis("credmesh-test", time.Now(), ms, n.params).CheckNew()
	if !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	for _, want := range []string{"members[2].name", "already the name of members[0]", "members[1].addrs[0]", "port 0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
