package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/config"
	"github.com/spf13/cobra"
)

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "credmesh",
		Short: "A peer-to-peer network for payment records and credit queries",
		Long: `credmesh lets institutions share payment records and answer credit queries
with no central server. Every institution runs an equal peer; every peer keeps a
verified replica of every member's signed chain.

Start with 'credmesh demo' to see a whole network on this machine.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// A misspelt CREDMESH_ variable is ignored by every command: say so.
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			for _, w := range config.UnknownEnv(os.Environ()) {
				fmt.Fprintln(cmd.ErrOrStderr(), "credmesh: warning:", w)
			}
		},
	}
	root.AddCommand(newInitCmd(), newGenesisCmd(), newRunCmd(), newSubmitCmd(), newStatusCmd(),
		newQueryCmd(), newReportCmd(), newBillingCmd(), newCreditCmd(), newDemoCmd(), newSimCmd(),
		newCheckCmd(), newPendingCmd(), newEvidenceCmd(), newVersionCmd(), newExportCmd(), newImportCmd(),
		newVerifyCmd(), newCertCmd(), newMemberCmd())
	root.AddCommand(rightsCmds()...)
	return root
}

// homeFlag adds --home, defaulting to $CREDMESH_HOME.
func homeFlag(c *cobra.Command, home *string) {
	c.Flags().StringVar(home, "home", os.Getenv(config.HomeEnv), "the peer's home directory (default $CREDMESH_HOME)")
}

func requireHome(home string) (config.Home, error) {
	if home == "" {
		return "", usageErr("--home DIR is required (or set CREDMESH_HOME)")
	}
	return config.Home(home), nil
}

// homeClient returns a client of the API of the peer running from home.
func homeClient(home string) (*api.Client, error) {
	h, err := requireHome(home)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(h.ConfigPath())
	if err != nil {
		return nil, err
	}
	return api.NewClient(cfg.API.Listen, cfg.API.Token), nil
}

func usageErr(msg string) error { return &exitError{code: 2, msg: msg} }

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
