package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/node"
	"github.com/spf13/cobra"
)

func newRunCmd() *cobra.Command {
	var (
		home, apiListen, logLevel string
		listen                    []string
		trustLocal                bool
	)
	c := &cobra.Command{
		Use:   "run --home DIR",
		Short: "Run the peer until interrupted",
		Long: `Run the peer of a home: join the network, replicate every member's chain, seal
and publish this institution's records, and serve the local HTTP API.

Settings come from config.toml, then CREDMESH_* environment variables (e.g.
CREDMESH_API_LISTEN), then these flags. SIGINT or SIGTERM stops the peer cleanly:
pending records are sealed into a last block and the store is closed. After a
crash, the next start seals whatever was accepted and not yet sealed.

Before it signs, the peer recovers its own chain from the other members: it
asks them for the blocks its key signed above the height its store holds
(a store restored from a backup or a lost data directory lacks some) and
stores them, until recovery.min_answers members have answered. Until then
submissions get HTTP 503 "recovering own chain from the network".

A bad value names where it was set: config.toml (with line), the environment
variable, or the flag. A listen address that is taken stops the start, naming
the address: the peer never runs on part of its transports. A CREDMESH_
variable that is none of these is reported as a warning with the closest name.

Environment variables (each overrides its config.toml key; lists comma-separated):
` + envHelp(),
		Example: `  credmesh run --home ./tax
  CREDMESH_LOG_LEVEL=debug credmesh run --home ./bank --api-listen 127.0.0.1:7690`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, err := requireHome(home)
			if err != nil {
				return err
			}
			o, err := node.LoadOptions(h)
			if err != nil {
				return err
			}
			src := config.EnvSources(os.Environ())
			if apiListen != "" {
				o.Config.API.Listen = apiListen
				src.SetBy("api.listen", "--api-listen")
			}
			if len(listen) > 0 {
				o.Config.P2P.Listen = listen
				src.SetBy("p2p.listen", "--listen")
			}
			if logLevel != "" {
				o.Config.Log.Level = logLevel
				src.SetBy("log.level", "--log-level")
			}
			o.TrustLocalChain = trustLocal
			if err := o.Config.Validate(); err != nil {
				return src.Blame(err, h.ConfigPath())
			}
			warnGenesisForm(cmd.ErrOrStderr(), h, o.Genesis)
			if w := h.CheckDataDir(); w != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "credmesh: warning:", w)
			}
			n, err := node.New(o)
			if err != nil {
				return startHint(pendingDamageHint(err, h), h, o.Config, src)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%s: peer %s on network %s\n", o.Config.Name, n.PeerID(), o.Genesis.NetworkID())
			for _, a := range n.ListenAddrs() {
				fmt.Fprintf(out, "listening on %s\n", a)
			}
			fmt.Fprintf(out, "API on http://%s (status: credmesh status --home %s)\n", n.APIAddr(), h)
			return n.Run(cmd.Context())
		},
	}
	homeFlag(c, &home)
	c.Flags().StringVar(&apiListen, "api-listen", "", "host:port of the HTTP API (overrides api.listen)")
	c.Flags().StringSliceVar(&listen, "listen", nil, "p2p multiaddrs to listen on (overrides p2p.listen)")
	c.Flags().StringVar(&logLevel, "log-level", "", "debug, info, warn or error (overrides log.level)")
	c.Flags().BoolVar(&trustLocal, "trust-local-chain", false, "sign on the head of our own chain that the store holds, without recovering it from the other members first "+
		"(required when the genesis has no other member). RISK: if the store was rolled back or lost, the peer signs its chain again from the height it holds, "+
		"and every member records the two blocks at one height as a fork, for good")
	return c
}

// envHelp lists the CREDMESH_ variables with their config keys.
func envHelp() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %-34s %s\n", config.HomeEnv, "the home directory, for --home")
	for _, kv := range config.EnvVars() {
		fmt.Fprintf(&b, "  %-34s %s\n", kv[1], kv[0])
	}
	return b.String()
}
