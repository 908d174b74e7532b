package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/credmesh/credmesh/api"
	"github.com/spf13/cobra"
)

func newEvidenceCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "evidence",
		Short: "List the members proven forked, and record that a fork was investigated",
		Long: `A member is forked when two different blocks it signed at one height are seen:
equivocation evidence, two signed headers anyone can check. Every peer keeps
the evidence, passes it on to the others (gossip and status), keeps it across
restarts, and serves it with answers about that member's records. The member
stays forked for good.

'credmesh evidence list' shows the evidence a running peer holds;
'credmesh evidence ack' records, on this peer only, that a fork was
investigated and what was found. Acknowledging changes nothing else: the
evidence stays, and the member stays forked. See docs/OPERATIONS.md, "Forks".`,
	}
	c.AddCommand(newEvidenceListCmd(), newEvidenceAckCmd())
	return c
}

func newEvidenceListCmd() *cobra.Command {
	var (
		home   string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "list --home DIR",
		Short: "Show every member a running peer holds equivocation evidence against",
		Example: `  credmesh evidence list --home ./tax
  credmesh evidence list --home ./tax --json | jq '.[] | select(.acknowledged == null)'`,
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
				forks := st.Forks
				if forks == nil {
					forks = []api.ForkStatus{}
				}
				return printJSON(cmd.OutOrStdout(), forks)
			}
			printForks(cmd.OutOrStdout(), st.Forks)
			return nil
		},
	}
	homeFlag(c, &home)
	c.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return c
}

func printForks(out io.Writer, forks []api.ForkStatus) {
	if len(forks) == 0 {
		fmt.Fprintln(out, "no member is known to have forked")
		return
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tPEER ID\tHEIGHT\tHEADERS\tACKNOWLEDGED\t")
	for _, f := range forks {
		ack := "NO"
		if a := f.Acknowledged; a != nil {
			ack = a.At.Format("2006-01-02 15:04:05") + ": " + a.Note
		}
		hashes := make([]string, len(f.Hashes))
		for i, h := range f.Hashes {
			hashes[i] = fmt.Sprintf("%.12s", h)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t\n", f.Name, f.Issuer, f.Height, strings.Join(hashes, " "), ack)
	}
	tw.Flush()
}

func newEvidenceAckCmd() *cobra.Command {
	var home, note string
	c := &cobra.Command{
		Use:   "ack MEMBER --note TEXT --home DIR",
		Short: "Record that a member's fork was investigated (locally; the evidence stays)",
		Long: `Record on this peer that the fork of MEMBER (its name or peer ID, as
'credmesh evidence list' shows them) was investigated, with a note of what was
found. Status then shows the fork as acknowledged. Nothing else changes: the
evidence stays and is still passed on and served, and the member stays
forked. Acknowledging again replaces the note.`,
		Example: `  credmesh evidence ack "City Bank" --home ./tax \
      --note "restored from a stale backup on 2024-05-02; confirmed with their operations desk"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(note) == "" {
				return usageErr("--note TEXT is required: say what the investigation found")
			}
			client, err := homeClient(home)
			if err != nil {
				return err
			}
			st, err := client.Status(cmd.Context())
			if err != nil {
				return err
			}
			issuer := ""
			for _, f := range st.Forks {
				if f.Issuer == args[0] || strings.EqualFold(f.Name, args[0]) {
					issuer = f.Issuer
					break
				}
			}
			if issuer == "" {
				return fmt.Errorf("%s holds no equivocation evidence against %q (see: credmesh evidence list --home %s)", st.Name, args[0], home)
			}
			f, err := client.AckFork(cmd.Context(), issuer, note)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "acknowledged the fork of %s (%s) at height %d; the evidence stays\n", f.Name, f.Issuer, f.Height)
			return nil
		},
	}
	homeFlag(c, &home)
	c.Flags().StringVar(&note, "note", "", "what the investigation found (required)")
	return c
}
