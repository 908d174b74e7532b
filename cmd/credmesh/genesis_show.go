package main

import (
	"fmt"
	"strings"

	"github.com/credmesh/credmesh/config"
	"github.com/spf13/cobra"
)

func newGenesisShowCmd() *cobra.Command {
	var home, file string
	var asJSON bool
	c := &cobra.Command{
		Use:   "show --home DIR | --file PATH",
		Short: "Print a genesis: its hash, network, members, and whether it is as credmesh wrote it",
		Long: `Print the genesis of a home (or any genesis file): the network's hash — the
SHA-256 of the file's exact bytes, which every member must share — the network
ID, the members, and whether the file is byte for byte as credmesh writes it.

A peer whose genesis has another hash is on another network, even if the files
differ only by a trailing space or their indentation: run this on both sides and
compare the hashes. To fix a member's file, copy genesis.json from a member
whose hash the others share.`,
		Example: `  credmesh genesis show --home ./bank
  credmesh genesis show --file /tmp/genesis.json --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var g *config.Genesis
			var err error
			path := file
			if file != "" {
				g, err = config.LoadGenesis(file)
			} else {
				h, herr := requireHome(home)
				if herr != nil {
					return usageErr("--home DIR or --file PATH is required")
				}
				path = h.GenesisPath()
				g, err = h.LoadGenesis()
			}
			if err != nil {
				return err
			}
			hash := g.Hash()
			canon, diff := g.FormDifference()
			if asJSON {
				type member struct {
					Name  string   `json:"name"`
					ID    string   `json:"id"`
					Roles []string `json:"roles"`
					Addrs []string `json:"addrs"`
				}
				out := struct {
					File          string   `json:"file"`
					Network       string   `json:"network_id"`
					Hash          string   `json:"hash"`
					AsWritten     bool     `json:"as_credmesh_writes_it"`
					Difference    string   `json:"difference,omitempty"`
					CanonicalHash string   `json:"hash_as_credmesh_writes_it"`
					Members       []member `json:"members"`
				}{File: path, Network: g.NetworkID(), Hash: fmt.Sprintf("%x", hash), AsWritten: diff == "",
					Difference: diff, CanonicalHash: fmt.Sprintf("%x", canon), Members: []member{}}
				for _, m := range g.MemberList() {
					mj := member{Name: m.Name, ID: m.ID.String(), Roles: []string{}, Addrs: []string{}}
					for _, r := range m.Roles {
						mj.Roles = append(mj.Roles, string(r))
					}
					for _, a := range m.Addrs {
						mj.Addrs = append(mj.Addrs, a.String())
					}
					out.Members = append(out.Members, mj)
				}
				return printJSON(cmd.OutOrStdout(), out)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "file:    %s\nnetwork: %s\nhash:    %x\n", path, g.NetworkID(), hash)
			if diff == "" {
				fmt.Fprintf(w, "form:    as credmesh writes it\n")
			} else {
				fmt.Fprintf(w, "form:    differs from what credmesh writes (%s); written by credmesh, this genesis would hash to %x\n", diff, canon)
			}
			fmt.Fprintf(w, "members: %d\n", len(g.MemberList()))
			for _, m := range g.MemberList() {
				roles := make([]string, len(m.Roles))
				for i, r := range m.Roles {
					roles[i] = string(r)
				}
				fmt.Fprintf(w, "  %-24s %s  %s\n", m.Name, m.ID, strings.Join(roles, ","))
			}
			return nil
		},
	}
	homeFlag(c, &home)
	c.Flags().StringVar(&file, "file", "", "a genesis file to show instead of the home's")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}
