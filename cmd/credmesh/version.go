package main

import (
	"fmt"

	"github.com/credmesh/credmesh/internal/version"
	"github.com/spf13/cobra"
)

func newVersionCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version of this build",
		Long: `Print the version of this build, the commit it was built from and the Go
toolchain. A running peer shows the same version in 'credmesh status', in
GET /v1/status, in the credmesh_build_info metric and in its libp2p agent
string (credmesh/<version>), so members can see each other's builds.`,
		Example: `  credmesh version
  credmesh version --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := version.Get()
			if asJSON {
				return printJSON(cmd.OutOrStdout(), v)
			}
			line := "credmesh " + v.Version
			if v.Commit != "" {
				line += fmt.Sprintf(" (commit %.12s", v.Commit)
				if v.Modified {
					line += ", modified"
				}
				if v.BuildTime != "" {
					line += ", " + v.BuildTime
				}
				line += ")"
			}
			fmt.Fprintln(cmd.OutOrStdout(), line+" "+v.Go)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, `print {"version", "commit", "modified", "build_time", "go"} as JSON`)
	return c
}
