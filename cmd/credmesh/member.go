package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain/governance"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/spf13/cobra"
)

func newMemberCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "member",
		Short: "Admit, remove and re-key members by M-of-N decisions on the members' chains",
		Long: `Membership changes without a new genesis. A member proposes a change — admit an
institution, remove one, replace a member's key, change a parameter — as an
entry on its own chain, naming an activation time at least the genesis
activation_delay ahead. Other members approve with entries on theirs (the
proposal counts as its proposer's approval). At the activation time the
change takes effect on every peer if enough members in force approved it
before then (the genesis approval_threshold, by default a majority). Nobody
restarts; every peer computes the same membership from the same chains.

See docs/OPERATIONS.md, "Admitting a new institution without a new genesis",
and docs/PROTOCOL.md §18.`,
	}
	c.AddCommand(newMemberProposeCmd(), newMemberApproveCmd(), newMemberListCmd())
	return c
}

// proposeFlags are the flags every proposal takes.
type proposeFlags struct {
	home, id, reason, activateAt string
	activateIn                   time.Duration
	asJSON                       bool
}

func (f *proposeFlags) add(c *cobra.Command) {
	homeFlag(c, &f.home)
	c.Flags().StringVar(&f.id, "id", "", "the proposal's ID on this peer's chain (default: made up, e.g. admit-20261203-a1b2c3)")
	c.Flags().StringVar(&f.reason, "reason", "", "why, for the approvers (at most 512 bytes)")
	c.Flags().StringVar(&f.activateAt, "activate-at", "", "when it takes effect, RFC 3339 (default: now + the activation delay + a few seconds)")
	c.Flags().DurationVar(&f.activateIn, "activate-in", 0, "when it takes effect, from now (instead of --activate-at)")
	c.Flags().BoolVar(&f.asJSON, "json", false, "print the result as JSON")
}

func (f *proposeFlags) request(kind string) (api.ProposeRequest, error) {
	req := api.ProposeRequest{Kind: kind, ID: f.id, Reason: f.reason}
	switch {
	case f.activateAt != "" && f.activateIn != 0:
		return req, usageErr("give --activate-at or --activate-in, not both")
	case f.activateAt != "":
		t, err := time.Parse(time.RFC3339, f.activateAt)
		if err != nil {
			return req, usageErr(fmt.Sprintf("--activate-at %q: want RFC 3339, e.g. 2026-12-03T15:00:00Z", f.activateAt))
		}
		req.ActivateAt = &t
	case f.activateIn < 0:
		return req, usageErr("--activate-in must be positive")
	case f.activateIn > 0:
		t := time.Now().Add(f.activateIn)
		req.ActivateAt = &t
	}
	return req, nil
}

func (f *proposeFlags) send(cmd *cobra.Command, req api.ProposeRequest) error {
	client, err := homeClient(f.home)
	if err != nil {
		return err
	}
	w, err := client.Propose(cmd.Context(), req)
	if err != nil {
		return err
	}
	if f.asJSON {
		return printJSON(cmd.OutOrStdout(), w)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "proposal %s written (sealed into this peer's next block), activating at %s\n", w.ID, w.ActivateAt.Format(time.RFC3339))
	fmt.Fprintf(out, "the other members approve it with:\n  credmesh member approve %s --home DIR\n", w.ID)
	return nil
}

func newMemberProposeCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "propose add|remove|rotate|param ...",
		Short: "Propose a membership change on this peer's chain",
	}
	c.AddCommand(newProposeAddCmd(), newProposeRemoveCmd(), newProposeRotateCmd(), newProposeParamCmd())
	return c
}

func newProposeAddCmd() *cobra.Command {
	var (
		f        proposeFlags
		name     string
		roles    []string
		addrs    []string
		fromHome string
		adv      string
	)
	c := &cobra.Command{
		Use:   "add [PEERID] --name NAME --role ROLE --addr MULTIADDR --home DIR",
		Short: "Propose to admit an institution",
		Long: `Propose to admit an institution: its peer ID (what 'credmesh init' printed),
display name, roles (payments, credit, query) and the addresses its peer
listens on. With --from-home, the peer ID, name and addresses are read from
the newcomer's home directory, as 'genesis new --member' does.`,
		Example: `  credmesh member propose add 12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp \
      --name "Housing Fund Centre" --role payments --addr /ip4/10.0.0.5/tcp/7600 --home ./tax
  credmesh member propose add --from-home ./fund --role payments --home ./tax --activate-in 2h`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := f.request("admit")
			if err != nil {
				return err
			}
			req.Name, req.Roles, req.Addrs = name, roles, addrs
			if len(args) == 1 {
				req.PeerID = args[0]
			}
			if fromHome != "" {
				rs := make([]config.Role, 0, len(roles))
				for _, r := range roles {
					for _, x := range strings.Split(r, ",") {
						rs = append(rs, config.Role(strings.TrimSpace(x)))
					}
				}
				m, err := config.MemberFromHome(config.Home(fromHome), rs, adv)
				if err != nil {
					return err
				}
				if req.PeerID == "" {
					req.PeerID = m.ID.String()
				}
				if req.Name == "" {
					req.Name = m.Name
				}
				if len(req.Addrs) == 0 {
					for _, a := range m.Addrs {
						req.Addrs = append(req.Addrs, a.String())
					}
				}
			}
			switch {
			case req.PeerID == "":
				return usageErr("the newcomer's PEERID (or --from-home DIR) is required")
			case req.Name == "":
				return usageErr("--name NAME is required")
			case len(req.Roles) == 0:
				return usageErr("--role ROLE is required (payments, credit, query; repeat or comma-separate)")
			}
			return f.send(cmd, req)
		},
	}
	f.add(c)
	c.Flags().StringVar(&name, "name", "", "the institution's display name")
	c.Flags().StringArrayVar(&roles, "role", nil, "a role: payments, credit, query (repeat, or comma-separate)")
	c.Flags().StringArrayVar(&addrs, "addr", nil, "a multiaddr its peer listens on, without /p2p/ (repeat; at most 8)")
	c.Flags().StringVar(&fromHome, "from-home", "", "read the peer ID, name and addresses from the newcomer's home")
	c.Flags().StringVar(&adv, "advertise", "127.0.0.1", "with --from-home: the address replacing 0.0.0.0 in its listen addresses")
	return c
}

func newProposeRemoveCmd() *cobra.Command {
	var f proposeFlags
	c := &cobra.Command{
		Use:   "remove PEERID --home DIR",
		Short: "Propose to remove a member: its chain ends at the activation, its history still verifies",
		Example: `  credmesh member propose remove 12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp --home ./tax \
      --reason "left the consortium on 2026-12-01"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := f.request("remove")
			if err != nil {
				return err
			}
			req.PeerID = args[0]
			return f.send(cmd, req)
		},
	}
	f.add(c)
	return c
}

func newProposeRotateCmd() *cobra.Command {
	var (
		f         proposeFlags
		newKey    string
		newPeerID string
		addrs     []string
	)
	c := &cobra.Command{
		Use:   "rotate PEERID (--new-key FILE | --new-peer-id ID) --home DIR",
		Short: "Propose to replace a member's key: the old key signs until the activation, the new one from then on",
		Long: `Propose to replace member PEERID's key by a new one, given as the new key file
(only its public half is read) or as the new peer ID. At the activation the
old key's chain ends and the new key writes a new chain from height 1, under
the member's name and roles; the member restarts its peer with the new key
then. --addr gives the peer's addresses under the new key, if they change.`,
		Example: `  credmesh member propose rotate 12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp \
      --new-key ./bank-a-new/key --home ./bank-a`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := f.request("rotate")
			if err != nil {
				return err
			}
			req.PeerID, req.NewPeerID, req.Addrs = args[0], newPeerID, addrs
			switch {
			case newKey != "" && newPeerID != "":
				return usageErr("give --new-key or --new-peer-id, not both")
			case newKey != "":
				k, err := config.LoadKey(newKey)
				if err != nil {
					return err
				}
				req.NewPeerID = peerid.OfKey(k).String()
			case newPeerID == "":
				return usageErr("the new key is required: --new-key FILE or --new-peer-id ID")
			}
			return f.send(cmd, req)
		},
	}
	f.add(c)
	c.Flags().StringVar(&newKey, "new-key", "", "the new key file (PEM, as credmesh init writes it)")
	c.Flags().StringVar(&newPeerID, "new-peer-id", "", "the new key's peer ID")
	c.Flags().StringArrayVar(&addrs, "addr", nil, "the peer's addresses under the new key, if they change (repeat)")
	return c
}

func newProposeParamCmd() *cobra.Command {
	var f proposeFlags
	c := &cobra.Command{
		Use:   "param NAME VALUE --home DIR",
		Short: "Propose to change a parameter: approval_threshold, activation_delay or query_fee",
		Long: `Propose to change a network parameter:
  approval_threshold  approvals a proposal needs, the proposer's counting ("0": a majority)
  activation_delay    least time from a proposal's block to its activation, e.g. "24h" (1s..2160h)
  query_fee           fee per credit query: "0" or "AMOUNT CUR" in minor units, e.g. "200 CNY"`,
		Example: `  credmesh member propose param approval_threshold 3 --home ./tax
  credmesh member propose param query_fee "150 CNY" --home ./tax --activate-at 2027-01-01T00:00:00Z`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := f.request("param")
			if err != nil {
				return err
			}
			req.Param, req.Value = args[0], args[1]
			return f.send(cmd, req)
		},
	}
	f.add(c)
	return c
}

func newMemberApproveCmd() *cobra.Command {
	var (
		home, proposer string
		asJSON         bool
	)
	c := &cobra.Command{
		Use:   "approve ID --home DIR",
		Short: "Approve another member's proposal on this peer's chain",
		Long: `Approve proposal ID (as 'credmesh member list' shows it) with an entry on this
peer's chain. Only approvals sealed before the proposal's activation count;
a member approves a proposal once, and never its own (it counts already).`,
		Example: `  credmesh member list --home ./bank-a
  credmesh member approve admit-20261203-a1b2c3 --home ./bank-a`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := homeClient(home)
			if err != nil {
				return err
			}
			w, err := client.Approve(cmd.Context(), api.ApproveRequest{ID: args[0], Proposer: proposer})
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), w)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "approval of %s (by %s) written, sealed into this peer's next block; it activates at %s\n",
				w.ID, w.Proposer, w.ActivateAt.Format(time.RFC3339))
			return nil
		},
	}
	homeFlag(c, &home)
	c.Flags().StringVar(&proposer, "proposer", "", "the proposer's peer ID, when two proposers used the ID")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}

func newMemberListCmd() *cobra.Command {
	var (
		home   string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "list --home DIR",
		Short: "Show the members in force and every proposal with its approvals and activation",
		Example: `  credmesh member list --home ./tax
  credmesh member list --home ./tax --json | jq '.proposals[] | select(.state == "pending")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := homeClient(home)
			if err != nil {
				return err
			}
			v, err := client.Membership(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), v)
			}
			printMembership(cmd.OutOrStdout(), v)
			return nil
		},
	}
	homeFlag(c, &home)
	c.Flags().BoolVar(&asJSON, "json", false, "print the membership as JSON")
	return c
}

func printMembership(out io.Writer, v *api.MembershipView) {
	fmt.Fprintf(out, "epoch %d: %d members; a proposal needs %d approvals; activation delay %s\n",
		v.Epoch, len(v.Members), v.Params.ApprovalsNeeded, v.Params.ActivationDelay)
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tPEER ID\tROLES\tSINCE\t")
	for _, m := range v.Members {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", m.Name, m.PeerID, m.Roles, m.Since.Format(time.RFC3339))
	}
	tw.Flush()
	if len(v.Proposals) == 0 {
		fmt.Fprintln(out, "\nno proposals")
		return
	}
	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROPOSAL\tSTATE\tCHANGE\tAPPROVALS\tACTIVATES\tPROPOSER\t")
	for _, p := range v.Proposals {
		state := p.State
		if p.State == "pending" && p.Passed {
			state = "pending (approved)"
		}
		if p.Why != "" {
			state += ": " + p.Why
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d of %d\t%s\t%s\t\n", p.ID, state, describeChange(p), len(p.Approvals), p.Needed,
			p.ActivateAt.Format(time.RFC3339), firstNonEmpty(p.ProposerName, p.Proposer))
	}
	tw.Flush()
}

func describeChange(p api.ProposalView) string {
	switch p.Kind {
	case "admit":
		return fmt.Sprintf("admit %q %s (%s)", p.Name, p.Target, p.Roles)
	case "remove":
		return "remove " + p.Target
	case "rotate":
		return fmt.Sprintf("rotate %s -> %s", p.Target, p.NewPeerID)
	case "param":
		return fmt.Sprintf("set %s = %q", p.Param, p.Value)
	}
	return p.Kind
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// lightGovernance is the genesis's epoch 0 of membership decisions, from
// which a light client follows the decisions answers carry.
func lightGovernance(g *config.Genesis) *governance.Genesis {
	x := g.Governance()
	return &x
}
