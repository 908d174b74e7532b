package main

import (
	"fmt"

	"github.com/credmesh/credmesh/config"
	"github.com/spf13/cobra"
)

func newInitCmd() *cobra.Command {
	var (
		home, name, ip string
		p2pPort        int
		apiPort        int
	)
	c := &cobra.Command{
		Use:   "init --home DIR --name NAME",
		Short: "Create a peer's home: its key and config.toml",
		Long: `Create a new institution's home directory with a fresh Ed25519 key (its identity
and block-signing key, mode 0600) and a default config.toml. Prints the peer ID,
which the network's genesis lists. An existing key is never overwritten.`,
		Example: `  credmesh init --home ./tax --name "Shenzhen Tax Bureau"
  credmesh init --home ./bank --name "Example Bank" --p2p-port 7601 --api-port 7681`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, err := requireHome(home)
			if err != nil {
				return err
			}
			if name == "" {
				return usageErr("--name NAME is required: the institution's display name")
			}
			id, err := h.Init(name)
			if err != nil {
				return err
			}
			cfg, err := config.Load(h.ConfigPath())
			if err != nil {
				return err
			}
			cfg.P2P.Listen = []string{
				fmt.Sprintf("/ip4/%s/tcp/%d", ip, p2pPort),
				fmt.Sprintf("/ip4/%s/udp/%d/quic-v1", ip, p2pPort),
			}
			cfg.API.Listen = fmt.Sprintf("127.0.0.1:%d", apiPort)
			if err := cfg.WriteFile(h.ConfigPath()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created %s for %q\npeer ID: %s\n", h, name, id)
			fmt.Fprintf(cmd.OutOrStdout(), "next: give this peer ID to whoever creates the genesis, or run\n  credmesh genesis new --network ID --member %s ...\n", h)
			return nil
		},
	}
	homeFlag(c, &home)
	c.Flags().StringVar(&name, "name", "", "the institution's display name")
	c.Flags().StringVar(&ip, "listen-ip", "0.0.0.0", "IPv4 address the peer listens on")
	c.Flags().IntVar(&p2pPort, "p2p-port", 7600, "TCP and UDP (QUIC) port of the peer")
	c.Flags().IntVar(&apiPort, "api-port", 7680, "port of the local HTTP API on 127.0.0.1")
	return c
}
