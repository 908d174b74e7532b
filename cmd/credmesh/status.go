package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/credmesh/credmesh/api"
	"github.com/spf13/cobra"
)

func newStatusCmd() *cobra.Command {
	var (
		home   string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "status --home DIR",
		Short: "Show a running peer's connections, chains and sync state",
		Example: `  credmesh status --home ./tax
  credmesh status --home ./tax --json | jq '.chains[] | {name, height}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := homeClient(home)
			if err != nil {
				return err
			}
			st, err := client.Status(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), st)
			}
			printStatus(cmd, st)
			return nil
		},
	}
	homeFlag(c, &home)
	c.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return c
}

func printStatus(cmd *cobra.Command, st *api.Status) {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "%s  %s\nnetwork %s  genesis %.16s  version %s\n", st.Name, st.PeerID, st.Network, st.GenesisHash, st.Version)
	fmt.Fprintf(out, "peers %d, members connected %d of %d\n", st.Peers, st.Members.Connected, st.Members.Total-1)
	sync := "in sync"
	if len(st.Syncing) > 0 {
		sync = fmt.Sprintf("syncing %d chains", len(st.Syncing))
	}
	fmt.Fprintf(out, "sync: %s\n", sync)
	printStoreHealth(out, st.Store)
	if d := st.Disk; d != nil {
		fmt.Fprintf(out, "disk: %s\n", diskLine(d))
	}
	if cs := st.CreditSource; cs != nil && cs.Kind != "store" {
		fmt.Fprintf(out, "credit source: %s\n", creditSourceLine(cs)) // credit_source.go
	}
	if l := st.PendingLost; l != nil {
		fmt.Fprintf(out, "pending log: %d acknowledged records LOST (damaged log set aside %s, kept in %s)\n",
			l.Records, l.At.Format("2006-01-02 15:04:05"), l.MovedTo)
	}
	if r := st.Recovery; r != nil {
		switch r.State {
		case "recovering":
			fmt.Fprintf(out, "own chain: recovering from the network (%d of %d members answered, %d blocks recovered)\n", r.Answered, r.Needed, r.Blocks)
		case "halted":
			fmt.Fprintf(out, "own chain: SEALING HALTED: evidence against our own key\n")
		default:
			fmt.Fprintf(out, "own chain: %s\n", r.State)
		}
	}
	if n := unacknowledged(st.Forks); len(st.Forks) > 0 {
		fmt.Fprintf(out, "forks: %d proven, %d not acknowledged (credmesh evidence list)\n", len(st.Forks), n)
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHAIN\tHEIGHT\tHEAD\tTIME\t")
	for _, c := range st.Chains {
		flag := ""
		if c.Forked {
			flag = "FORKED"
		}
		fmt.Fprintf(tw, "%s\t%d\t%.12s\t%s\t%s\n", c.Name, c.Height, c.Hash, c.Time.Format("2006-01-02 15:04:05"), flag)
	}
	tw.Flush()
	c := st.Counters
	fmt.Fprintf(out, "\nrecords accepted %d, refused %d; blocks sealed %d, stored %d, rejected %d; gossip drops %d\n",
		c.RecordsAccepted, c.RecordsRefused, c.BlocksSealed, c.BlocksStored, c.BlocksRejected, c.GossipDrops)
	printWitnessing(out, st.Witnessing) // status_witness.go
}

// printStoreHealth shows whether a read has met corruption in the store.
func printStoreHealth(out io.Writer, h api.StoreHealth) {
	if h.Healthy {
		fmt.Fprintln(out, "store: healthy")
		return
	}
	fmt.Fprintf(out, "store: UNHEALTHY, %d reads met corruption: %s\n", h.Corruptions, h.Error)
	fmt.Fprintln(out, "  stop the peer, run 'credmesh check', see docs/OPERATIONS.md \"Store corruption\"")
}

func diskLine(d *api.DiskStatus) string {
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	line := fmt.Sprintf("%.0f MiB free of %.0f MiB", mib(d.FreeBytes), mib(d.TotalBytes))
	switch {
	case d.Error != "":
		line += " (cannot read: " + d.Error + ")"
	case d.ReadOnly:
		line += ", DATABASE READ-ONLY (the peer started on a full disk): REFUSING SUBMISSIONS AND NOT STORING OTHER MEMBERS' BLOCKS; free space, then restart the peer"
	case d.ReplicasPaused:
		line += fmt.Sprintf(", below %.0f MiB: REFUSING SUBMISSIONS AND NOT STORING OTHER MEMBERS' BLOCKS", mib(d.ReplicaFloorBytes))
	case d.Low:
		line += fmt.Sprintf(", below %.0f MiB: REFUSING SUBMISSIONS", mib(d.ReserveBytes))
	}
	return line
}

func unacknowledged(forks []api.ForkStatus) int {
	n := 0
	for _, f := range forks {
		if f.Acknowledged == nil {
			n++
		}
	}
	return n
}
