package devnet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/node"
)

// Member is one institution of the network.
type Member struct {
	Dir   string // home directory name under Options.Dir
	Name  string
	Roles []config.Role
}

// DefaultMembers are a tax authority and three lenders.
var DefaultMembers = []Member{
	{Dir: "tax", Name: "Shenzhen Tax Bureau", Roles: []config.Role{config.RolePayments, config.RoleQuery}},
	{Dir: "bank-a", Name: "Pearl River Bank", Roles: []config.Role{config.RoleCredit, config.RoleQuery}},
	{Dir: "bank-b", Name: "Nanshan Commercial Bank", Roles: []config.Role{config.RoleCredit, config.RoleQuery}},
	{Dir: "lender-c", Name: "Qianhai Microcredit", Roles: []config.Role{config.RoleCredit, config.RoleQuery}},
}

// Options describe the network.
type Options struct {
	Dir     string // parent of the homes
	Network string
	Members []Member // default DefaultMembers
	Params  config.GenesisParams
	Logger  *slog.Logger
	// Tune, if set, adjusts the options of member i's node before it
	// starts (tests: short log windows).
	Tune func(i int, o *node.Options)
}

// Net is a created network; Start runs its peers.
type Net struct {
	Opts  Options
	Homes []config.Home

	mu     sync.Mutex
	nodes  []*node.Node
	cancel []context.CancelFunc
	done   []chan error
}

// Create makes every member's home (key, config with free loopback ports)
// and installs one genesis in all of them.
func Create(o Options) (*Net, error) {
	if len(o.Members) == 0 {
		o.Members = DefaultMembers
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	n := &Net{Opts: o}
	var members []config.Member
	for _, m := range o.Members {
		h := config.Home(filepath.Join(o.Dir, m.Dir))
		if _, err := h.Init(m.Name); err != nil {
			return nil, err
		}
		cfg, err := config.Load(h.ConfigPath())
		if err != nil {
			return nil, err
		}
		p2pPort, err := freePort()
		if err != nil {
			return nil, err
		}
		apiPort, err := freePort()
		if err != nil {
			return nil, err
		}
		cfg.P2P.Listen = []string{
			fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", p2pPort),
			fmt.Sprintf("/ip4/127.0.0.1/udp/%d/quic-v1", p2pPort),
		}
		cfg.API.Listen = fmt.Sprintf("127.0.0.1:%d", apiPort)
		cfg.Store.BallastMB = 0 // several peers on one disk, for a demo: no ballast each
		if err := cfg.WriteFile(h.ConfigPath()); err != nil {
			return nil, err
		}
		cm, err := config.MemberFromHome(h, m.Roles, "127.0.0.1")
		if err != nil {
			return nil, err
		}
		members = append(members, cm)
		n.Homes = append(n.Homes, h)
	}
	if o.Params == (config.GenesisParams{}) {
		o.Params = config.DefaultGenesisParams()
		o.Params.BlockInterval = 200 * time.Millisecond
		o.Params.QueryFeeMinor, o.Params.FeeCurrency = 200, "CNY"
	}
	secret := config.GenerateSecret()
	params := o.Params
	params.SubjectSecretFingerprint = config.SecretFingerprint(o.Network, secret)
	g := config.NewGenesis(o.Network, time.Now().UTC(), members, params)
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if err := config.InstallGenesis(g, secret, n.Homes...); err != nil {
		return nil, err
	}
	n.Opts = o
	return n, nil
}

// freePort returns a port free for both TCP and UDP on 127.0.0.1.
func freePort() (int, error) {
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port, nil
		}
	}
	return 0, errors.New("devnet: no free port for TCP and UDP")
}

// Start runs every member's peer in this process and returns once each
// has recovered its own chain from the others and takes records.
func (n *Net) Start() error {
	for i := range n.Homes {
		if err := n.StartPeer(i); err != nil {
			n.Stop()
			return err
		}
	}
	if err := n.WaitReady(ReadyTimeout); err != nil {
		n.Stop()
		return err
	}
	return nil
}

// ReadyTimeout bounds how long Start waits for the peers to recover.
const ReadyTimeout = time.Minute

// WaitReady waits until every running peer has recovered its own chain
// (node.Node.Ready).
func (n *Net) WaitReady(timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for i := range n.Homes {
		nd := n.Node(i)
		if nd == nil {
			continue
		}
		select {
		case <-nd.Ready():
		case <-deadline.C:
			return fmt.Errorf("devnet: member %d did not recover its own chain within %s", i, timeout)
		}
	}
	return nil
}

// StartPeer runs member i's peer.
func (n *Net) StartPeer(i int) error {
	o, err := node.LoadOptions(n.Homes[i])
	if err != nil {
		return err
	}
	o.Logger = n.Opts.Logger.With("member", o.Config.Name)
	if n.Opts.Tune != nil {
		n.Opts.Tune(i, &o)
	}
	nd, err := node.New(o)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- nd.Run(ctx) }()
	n.mu.Lock()
	defer n.mu.Unlock()
	for len(n.nodes) <= i {
		n.nodes = append(n.nodes, nil)
		n.cancel = append(n.cancel, nil)
		n.done = append(n.done, nil)
	}
	n.nodes[i], n.cancel[i], n.done[i] = nd, cancel, done
	return nil
}

// StopPeer stops member i's peer cleanly.
func (n *Net) StopPeer(i int) error {
	n.mu.Lock()
	cancel, done := n.cancel[i], n.done[i]
	n.nodes[i], n.cancel[i], n.done[i] = nil, nil, nil
	n.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	return <-done
}

// Stop stops every peer.
func (n *Net) Stop() error {
	var errs []error
	for i := range n.nodes {
		errs = append(errs, n.StopPeer(i))
	}
	return errors.Join(errs...)
}

// Node returns member i's running peer, or nil.
func (n *Net) Node(i int) *node.Node {
	n.mu.Lock()
	defer n.mu.Unlock()
	if i >= len(n.nodes) {
		return nil
	}
	return n.nodes[i]
}

// SyncState compares every running peer's chains with their issuers'
// heads: done counts (peer, chain) pairs held up to the issuer's height.
// A peer with records still waiting to be sealed counts its own chain as
// not done.
func (n *Net) SyncState() (done, total int) {
	n.mu.Lock()
	nodes := append([]*node.Node(nil), n.nodes...)
	n.mu.Unlock()
	want := map[chain.IssuerID]uint64{}
	for _, nd := range nodes {
		if nd == nil {
			continue
		}
		self := nd.Issuer()
		if h := nd.Store().Head(self); h != nil {
			want[self] = h.Height
		}
	}
	for _, nd := range nodes {
		if nd == nil {
			continue
		}
		heads := nd.Store().Heads()
		for iss, height := range want {
			total++
			if h := heads[iss]; h != nil && h.Height >= height {
				done++
			}
		}
		if nd.Pending() > 0 {
			total++
		}
	}
	return done, total
}

// WaitInSync waits until every running peer holds every chain up to its
// issuer's head, calling progress on every check.
func (n *Net) WaitInSync(ctx context.Context, progress func(done, total int)) error {
	for {
		done, total := n.SyncState()
		if progress != nil {
			progress(done, total)
		}
		if done == total && total > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devnet: %d of %d chains in sync: %w", done, total, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
