package node_test

import (
	"errors"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/devnet"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/credmesh/credmesh/records"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// config.Default's [query] figures are the server's own defaults.
func TestQueryDefaults(t *testing.T) {
	q := config.Default().Query
	got := []float64{float64(q.PeerRate), float64(q.PeerBurst), float64(q.MembersRate), float64(q.MembersBurst), float64(q.ClientsRate), float64(q.ClientsBurst)}
	want := []float64{queryproto.DefaultPeerRate, queryproto.DefaultPeerBurst, queryproto.DefaultMembersRate, queryproto.DefaultMembersBurst, queryproto.DefaultClientsRate, queryproto.DefaultClientsBurst}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("[query] default %d is %v, the server's is %v", i, got[i], want[i])
		}
	}
	if q.ServerTimeout.D() != queryproto.ServerTimeout {
		t.Errorf("query.server_timeout default %s, the server's %s", q.ServerTimeout.D(), queryproto.ServerTimeout)
	}
}

// A peer whose config.toml gives light clients a tiny budget refuses them
// past it, while another member's credit report is answered in full.
func TestQueryBudgetsFromConfig(t *testing.T) {
	net, err := devnet.Create(devnet.Options{Dir: t.TempDir(), Network: "budget-test", Members: devnet.DefaultMembers[1:3]})
	if err != nil {
		t.Fatal(err)
	}
	h := net.Homes[0]
	cfg, err := config.Load(h.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Query.PeerRate, cfg.Query.PeerBurst = 1, 2
	cfg.Query.ClientsRate, cfg.Query.ClientsBurst = 1, 3
	if err := cfg.WriteFile(h.ConfigPath()); err != nil {
		t.Fatal(err)
	}
	if err := net.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := net.Stop(); err != nil {
			t.Errorf("stopping: %v", err)
		}
	})
	g, err := config.LoadGenesis(h.GenesisPath())
	if err != nil {
		t.Fatal(err)
	}
	limited := net.Node(0)
	target, err := peer.AddrInfoFromString(limited.ListenAddrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	ctx := withTimeout(t, 30*time.Second)

	// Ten light clients, two requests each: far past the clients' burst of
	// 3 and its refill of 1/s however slowly this runs.
	granted, refused := 0, 0
	for range 10 {
		key, err := config.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		lc, err := p2p.New(p2p.Config{
			Params: g.ChainParams(), GenesisHash: g.Hash(), Members: g.Members(), Key: key,
			ListenAddrs: []ma.Multiaddr{ma.StringCast("/ip4/127.0.0.1/tcp/0")},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { lc.Close() })
		if err := lc.Host().Connect(ctx, *target); err != nil {
			t.Fatal(err)
		}
		c := queryproto.NewClient(lc.Host(), g.NetworkID())
		for range 2 {
			switch _, err := c.Heads(ctx, target.ID); {
			case err == nil:
				granted++
			case errors.Is(err, queryproto.ErrRateLimited):
				refused++
			default:
				t.Fatal(err)
			}
		}
	}
	if granted < 3 || refused == 0 {
		t.Fatalf("light clients: %d granted, %d rate limited; want the clients' burst of 3 granted and the rest refused", granted, refused)
	}

	// The other member's report asks the limited peer too, and is answered.
	events := records.SampleCreditEvents("bank-a", 0, 10)
	if r, err := api.NewClient(limited.APIAddr(), "").ImportCredit(ctx, events, false); err != nil || r.Accepted != len(events) {
		t.Fatalf("import: %+v %v", r, err)
	}
	rep, err := api.NewClient(net.Node(1).APIAddr(), "").Report(ctx, api.ReportRequest{Subject: *events[0].Subject, Purpose: "loan_application", ConsentRef: "C-1"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Answered != 2 || rep.Summary.ActiveAccounts != 1 {
		for _, m := range rep.Members {
			t.Logf("%s: %s %s", m.Name, m.Outcome, m.Error)
		}
		t.Fatalf("report after light clients spent their budget: %+v", rep.Summary)
	}
}
