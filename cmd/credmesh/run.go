package main

import (
	"fmt"

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
submissions get HTTP 503 "recovering own chain from the network".`,
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
			if apiListen != "" {
				o.Config.API.Listen = apiListen
			}
			if len(listen) > 0 {
				o.Config.P2P.Listen = listen
			}
			if logLevel != "" {
				o.Config.Log.Level = logLevel
			}
			o.TrustLocalChain = trustLocal
			if err := o.Config.Validate(); err != nil {
				return err
			}
			n, err := node.New(o)
			if err != nil {
				return pendingDamageHint(err, h)
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
