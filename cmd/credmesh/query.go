package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/node"
	"github.com/credmesh/credmesh/p2p"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/spf13/cobra"
)

func newQueryCmd() *cobra.Command {
	c := &cobra.Command{Use: "query", Short: "Look records up as a light client, verifying every proof"}
	c.AddCommand(newQueryPaymentCmd())
	return c
}

// Exit codes of query payment, for scripts.
const (
	exitNotFound = 3
	exitVerify   = 4
)

func newQueryPaymentCmd() *cobra.Command {
	var (
		genesisPath, peerAddr string
		asJSON                bool
		timeout               time.Duration
	)
	c := &cobra.Command{
		Use:   "payment ORDER_ID --genesis FILE [--peer MULTIADDR]",
		Short: "Fetch a payment record by its order ID and verify it against the genesis",
		Long: `Fetch a payment record from any peer and verify it yourself: the issuer's
signature on the block header against the genesis members, the Merkle inclusion
proof, and the sealed record, which only the order ID opens. No peer has to be
trusted. With no --peer, peers are found from the genesis addresses.

Exit status: 0 verified, 3 no such payment, 4 a check failed, 1 other errors.`,
		Example: `  credmesh query payment SI3f9a0c51e2d47b8a6f10 --genesis ./genesis.json
  credmesh query payment SI3f9a0c51e2d47b8a6f10 --genesis ./genesis.json \
      --peer /ip4/10.0.0.6/tcp/7600/p2p/12D3KooW... --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if genesisPath == "" {
				return usageErr("--genesis FILE is required: the network's genesis.json")
			}
			g, err := config.LoadGenesis(genesisPath)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			pay, err := lookupPayment(ctx, g, args[0], peerAddr)
			switch {
			case errors.Is(err, queryproto.ErrNotFound):
				return &exitError{code: exitNotFound, msg: "no payment with this order ID on the network"}
			case errors.Is(err, queryproto.ErrVerify):
				return &exitError{code: exitVerify, msg: "the answer failed verification: " + err.Error()}
			case err != nil:
				return err
			}
			name := ""
			for _, m := range g.MemberList() {
				if id, _ := config.PeerIDFromIssuer(pay.Issuer); id == m.ID {
					name = m.Name
				}
			}
			issuer, _ := config.PeerIDFromIssuer(pay.Issuer)
			v := node.PaymentView(pay.Record, issuer.String(), name, pay.Height, pay.Header.Hash.String())
			v.Peer = pay.Peer.String()
			if asJSON {
				return printJSON(cmd.OutOrStdout(), v)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "payment %s — verified\n", v.OrderID)
			fmt.Fprintf(out, "  issuer    %s (%s), block %d %.16s\n", v.IssuerName, v.Issuer, v.Height, v.BlockHash)
			fmt.Fprintf(out, "  category  %s, period %s\n", v.Category, v.Period)
			fmt.Fprintf(out, "  amount    %s %s\n", minor(v.AmountMinor), v.Currency)
			fmt.Fprintf(out, "  paid at   %s via %s, region %s\n", v.PaidAt.Format(time.RFC3339), v.Channel, v.Region)
			if v.Item != "" {
				fmt.Fprintf(out, "  item      %s, receipt %s\n", v.Item, v.ReceiptNo)
			}
			fmt.Fprintf(out, "  served by %s (not trusted: signature and proof checked)\n", v.Peer)
			return nil
		},
	}
	c.Flags().StringVar(&genesisPath, "genesis", "", "the network's genesis.json")
	c.Flags().StringVar(&peerAddr, "peer", "", "ask this peer (multiaddr ending in /p2p/<peer-id>) instead of finding one")
	c.Flags().BoolVar(&asJSON, "json", false, "print the record as JSON")
	c.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "give up after this long")
	return c
}

// lookupPayment runs a light client for one lookup: a host with a fresh
// identity in DHT client mode, the genesis as the only trust.
func lookupPayment(ctx context.Context, g *config.Genesis, orderID, peerAddr string) (*queryproto.Payment, error) {
	key, err := config.GenerateKey()
	if err != nil {
		return nil, err
	}
	var boot []peer.AddrInfo
	var from peer.ID
	if peerAddr != "" {
		ai, err := peer.AddrInfoFromString(peerAddr)
		if err != nil {
			return nil, usageErr(fmt.Sprintf("--peer %q: %v", peerAddr, err))
		}
		boot, from = []peer.AddrInfo{*ai}, ai.ID
	} else {
		for _, m := range g.MemberList() {
			if len(m.Addrs) > 0 {
				boot = append(boot, m.AddrInfo())
			}
		}
	}
	n, err := p2p.New(p2p.Config{
		Params: g.ChainParams(), GenesisHash: g.Hash(), Members: g.Members(), Key: key,
		Bootstrap: boot, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return nil, err
	}
	defer n.Close()
	lc, err := queryproto.NewLightClient(n.Host(), queryproto.Genesis{NetworkID: g.NetworkID(), Members: g.Members(), Bootstrap: boot})
	if err != nil {
		return nil, err
	}
	pays, err := lc.LookupPayment(ctx, orderID, from)
	if err != nil {
		return nil, err
	}
	return &pays[0], nil
}

// minor formats an amount in minor units as units.cents.
func minor(v uint64) string { return fmt.Sprintf("%d.%02d", v/100, v%100) }
