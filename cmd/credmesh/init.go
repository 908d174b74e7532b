package main

import (
	"errors"
	"fmt"
	"net/netip"

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
			cfg, err := initConfig(name, ip, p2pPort, apiPort)
			if err != nil {
				return err
			}
			// Everything is checked before the first file is written: a
			// refused flag leaves nothing behind to block the retry.
			id, err := h.InitWith(cfg)
			if err != nil {
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

// initConfig is the configuration init writes, checked in the words of
// its flags.
func initConfig(name, ip string, p2pPort, apiPort int) (config.Config, error) {
	var errs []string
	for _, f := range []struct {
		flag string
		port int
	}{{"--p2p-port", p2pPort}, {"--api-port", apiPort}} {
		switch {
		case f.port == 0:
			errs = append(errs, fmt.Sprintf("%s 0: a random port at each start cannot be listed in the genesis nor found by the other commands; choose a port in 1..65535", f.flag))
		case f.port < 0 || f.port > 65535:
			errs = append(errs, fmt.Sprintf("%s %d is outside 1..65535", f.flag, f.port))
		}
	}
	if p2pPort == apiPort && p2pPort != 0 {
		errs = append(errs, fmt.Sprintf("--p2p-port and --api-port are both %d: the peer and its API need a port each", p2pPort))
	}
	if a, err := netip.ParseAddr(ip); err != nil || !a.Is4() {
		errs = append(errs, fmt.Sprintf("--listen-ip %q is not an IPv4 address", ip))
	}
	if len(errs) > 0 {
		return config.Config{}, usageErr(errors.Join(stringErrs(errs)...).Error())
	}
	cfg := config.Default()
	cfg.Name = name
	cfg.P2P.Listen = []string{
		fmt.Sprintf("/ip4/%s/tcp/%d", ip, p2pPort),
		fmt.Sprintf("/ip4/%s/udp/%d/quic-v1", ip, p2pPort),
	}
	cfg.API.Listen = fmt.Sprintf("127.0.0.1:%d", apiPort)
	if err := errors.Join(cfg.Validate(), cfg.CheckDialable()); err != nil {
		return config.Config{}, err
	}
	return cfg, nil
}

func stringErrs(msgs []string) []error {
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		errs[i] = errors.New(m)
	}
	return errs
}
