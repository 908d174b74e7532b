package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/credmesh/credmesh/config"
	"github.com/spf13/cobra"
)

func newGenesisCmd() *cobra.Command {
	c := &cobra.Command{Use: "genesis", Short: "Create a network's genesis"}
	c.AddCommand(newGenesisNewCmd(), newGenesisShowCmd())
	return c
}

func newGenesisNewCmd() *cobra.Command {
	var (
		network    string
		homes      []string
		remote     []string
		outDir     string
		roles      []string
		advertise  string
		interval   time.Duration
		fee        uint64
		threshold  int
		activation time.Duration
	)
	c := &cobra.Command{
		Use:   "new --network ID --member DIR [--member DIR ...]",
		Short: "Create a genesis listing every member and install it in their homes",
		Long: `Create genesis.json — network ID, members (peer ID, name, roles, addresses) and
parameters — and a new subject secret shared by the members, and write both into
every member's home. The SHA-256 of genesis.json is the network's identity.
The genesis carries the secret's fingerprint (params.subject_secret_fingerprint,
SHA-256 of the network ID and the secret, which reveals nothing of it): a peer
whose subject.secret is another refuses to start.

Members' addresses come from their config.toml listen addresses, with 0.0.0.0
replaced by --advertise. For members on other machines, run this where their
homes are reachable, or copy genesis.json and subject.secret to them afterwards
(subject.secret is secret: copy it only over a secure channel).`,
		Example: `  credmesh genesis new --network sz-credit --member ./tax --member ./bank-a --member ./bank-b
  credmesh genesis new --network sz-credit --member ./tax --member ./bank --role ./tax=payments,query --advertise 10.0.0.5
  credmesh genesis new --network sz-credit --member ./tax \
      --peer "Bank A=12D3KooW...@/ip4/10.0.0.6/tcp/7600" --out ./sz-credit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if network == "" || len(homes)+len(remote) == 0 {
				return usageErr("--network ID and at least one --member DIR or --peer NAME=PEERID@MULTIADDR are required")
			}
			if len(remote) > 0 && outDir == "" {
				return usageErr("with --peer, give --out DIR: genesis.json and subject.secret are written there for you to copy to those members")
			}
			roleOf, err := parseRoles(roles)
			if err != nil {
				return err
			}
			var members []config.Member
			var hs []config.Home
			for _, dir := range homes {
				r := roleOf[dir]
				if r == nil {
					r = []config.Role{config.RolePayments, config.RoleCredit, config.RoleQuery}
				}
				m, err := config.MemberFromHome(config.Home(dir), r, advertise)
				if err != nil {
					return err
				}
				members = append(members, m)
				hs = append(hs, config.Home(dir))
			}
			for _, spec := range remote {
				m, err := parsePeerSpec(spec)
				if err != nil {
					return err
				}
				members = append(members, m)
			}
			if outDir != "" {
				if err := os.MkdirAll(outDir, 0o700); err != nil {
					return err
				}
				hs = append(hs, config.Home(outDir))
			}
			secret := config.GenerateSecret()
			p := config.DefaultGenesisParams()
			p.BlockInterval = interval
			if fee > 0 {
				p.QueryFeeMinor, p.FeeCurrency = fee, "CNY"
			}
			p.ApprovalThreshold, p.ActivationDelay = threshold, activation
			p.SubjectSecretFingerprint = config.SecretFingerprint(network, secret)
			g := config.NewGenesis(network, time.Now().UTC(), members, p)
			if err := errors.Join(g.Validate(), g.CheckNew()); err != nil {
				return err
			}
			if err := config.InstallGenesis(g, secret, hs...); err != nil {
				return err
			}
			h := g.Hash()
			fmt.Fprintf(cmd.OutOrStdout(), "network %s, %d members, genesis %x\n", network, len(members), h[:8])
			for _, m := range members {
				fmt.Fprintf(cmd.OutOrStdout(), "  %-24s %s\n", m.Name, m.ID)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "written into every member's home; start each with: credmesh run --home DIR\n")
			if outDir != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "copy %s and %s into the other members' homes (the secret only over a secure channel)\n",
					config.Home(outDir).GenesisPath(), config.Home(outDir).SecretPath())
			}
			return nil
		},
	}
	c.Flags().StringVar(&network, "network", "", "network ID: 1 to 64 of [a-z0-9-]")
	c.Flags().StringArrayVar(&homes, "member", nil, "a member's home directory (repeat for each member)")
	c.Flags().StringArrayVar(&remote, "peer", nil, "a member elsewhere: NAME=PEERID@MULTIADDR (repeat); needs --out")
	c.Flags().StringVar(&outDir, "out", "", "also write genesis.json and subject.secret into this directory")
	c.Flags().StringArrayVar(&roles, "role", nil, "DIR=ROLE[,ROLE] roles of a member: payments, credit, query (default all)")
	c.Flags().StringVar(&advertise, "advertise", "127.0.0.1", "address other members dial, replacing 0.0.0.0 in listen addresses")
	c.Flags().DurationVar(&interval, "block-interval", time.Second, "longest wait before pending records are sealed into a block")
	c.Flags().Uint64Var(&fee, "query-fee", 200, "fee per credit query in fen (CNY minor units)")
	c.Flags().IntVar(&threshold, "approval-threshold", 0, "approvals a membership decision needs, the proposer's counting (0: a majority)")
	c.Flags().DurationVar(&activation, "activation-delay", 0, "least time from a membership proposal to its activation (0: 1h)")
	return c
}

// parsePeerSpec reads NAME=PEERID@MULTIADDR (all roles).
func parsePeerSpec(spec string) (config.Member, error) {
	name, rest, ok := strings.Cut(spec, "=")
	id, addr, ok2 := strings.Cut(rest, "@")
	if !ok || !ok2 || name == "" {
		return config.Member{}, usageErr(fmt.Sprintf("--peer %q: want NAME=PEERID@MULTIADDR", spec))
	}
	pid, err := peer.Decode(id)
	if err != nil {
		return config.Member{}, usageErr(fmt.Sprintf("--peer %q: peer ID: %v", spec, err))
	}
	a, err := ma.NewMultiaddr(addr)
	if err != nil {
		return config.Member{}, usageErr(fmt.Sprintf("--peer %q: address: %v", spec, err))
	}
	return config.Member{ID: pid, Name: name, Roles: []config.Role{config.RolePayments, config.RoleCredit, config.RoleQuery}, Addrs: []ma.Multiaddr{a}}, nil
}

func parseRoles(specs []string) (map[string][]config.Role, error) {
	out := make(map[string][]config.Role)
	for _, s := range specs {
		dir, list, ok := strings.Cut(s, "=")
		if !ok || list == "" {
			return nil, usageErr(fmt.Sprintf("--role %q: want DIR=ROLE[,ROLE]", s))
		}
		for _, r := range strings.Split(list, ",") {
			out[dir] = append(out[dir], config.Role(strings.TrimSpace(r)))
		}
	}
	return out, nil
}
