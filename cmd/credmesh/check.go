package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/spf13/cobra"
)

func newCheckCmd() *cobra.Command {
	var (
		home   string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "check --home DIR",
		Short: "Verify a stopped peer's store: table checksums, chains, Merkle roots, indexes",
		Long: `Verify the database in <home>/data, offline, with the peer stopped (a running
peer holds the database's LOCK and check refuses). It writes nothing.

It reads every block of every table and verifies its checksum; walks every
chain, checking each header's signature, height and hash link to the one before
and that the heads match; recomputes every block's Merkle tree from its stored
leaves and checks each stored entry against its leaf and the root against the
header; and matches every index key against the entries that produce it.

Progress goes to stderr, the summary to stdout. Every problem is named by chain,
block, entry and key. Exit status: 0 if the store is sound, 1 if anything is
wrong (or the check could not run). What to do about a damaged store:
docs/OPERATIONS.md, "Store corruption".`,
		Example: `  credmesh check --home ./tax
  credmesh check --home ./tax --json | jq '.problems[]'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, err := requireHome(home)
			if err != nil {
				return err
			}
			names := chainNames(h)
			pp := &checkPrinter{w: cmd.ErrOrStderr(), names: names}
			r, err := store.Check(h.DataDir(), store.CheckOptions{Progress: pp.print})
			if errors.Is(err, store.ErrInUse) {
				return fmt.Errorf("%w\n(stop the peer running from %s, then check again)", err, home)
			}
			if err != nil {
				return err
			}
			if asJSON {
				if err := printJSON(cmd.OutOrStdout(), r); err != nil {
					return err
				}
			} else {
				printCheckReport(cmd.OutOrStdout(), r, names)
			}
			if !r.OK() {
				return &exitError{code: 1, msg: fmt.Sprintf("the store in %s is damaged: %d problems (see docs/OPERATIONS.md, \"Store corruption\")", h.DataDir(), len(r.Problems)+r.Unlisted)}
			}
			return nil
		},
	}
	homeFlag(c, &home)
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return c
}

// chainNames maps issuers (hex) to the members' names in the home's
// genesis; without one, chains are shown by key.
func chainNames(h config.Home) map[string]string {
	names := make(map[string]string)
	g, err := config.LoadGenesis(h.GenesisPath())
	if err != nil {
		return names
	}
	for id, m := range g.MemberPeers() {
		if iss, err := peerid.Issuer(id); err == nil {
			names[iss.String()] = m.Name
		}
	}
	return names
}

func chainLabel(issuer string, names map[string]string) string {
	short := issuer
	if len(short) > 8 {
		short = short[:8]
	}
	if n, ok := names[issuer]; ok {
		return fmt.Sprintf("%s (%s)", n, short)
	}
	return short
}

// checkPrinter prints Check's progress on stderr, with the rate of each
// pass.
type checkPrinter struct {
	w          io.Writer
	names      map[string]string
	phase      string
	phaseStart time.Duration // Elapsed when the phase began
	entries0   uint64        // entries checked before the phase began
	phaseEnd   time.Duration // Elapsed at the last report
	entriesEnd uint64        // entries at the last report
}

func (c *checkPrinter) print(p store.CheckProgress) {
	if p.Phase != c.phase {
		c.phase, c.phaseStart, c.entries0 = p.Phase, c.phaseEnd, c.entriesEnd
	}
	secs := max((p.Elapsed - c.phaseStart).Seconds(), 1e-3)
	switch p.Phase {
	case store.PhaseTables:
		fmt.Fprintf(c.w, "tables: %d of %d checksummed\n", p.Done, p.Total)
	case store.PhaseChain:
		state := "checking"
		if p.Finished {
			state = "checked"
		}
		fmt.Fprintf(c.w, "chain %s: %s %d of %d blocks; %d entries so far, %.0f entries/s\n",
			chainLabel(p.Chain.String(), c.names), state, p.Done, p.Total, p.Entries, float64(p.Entries-c.entries0)/secs)
	case store.PhaseIndexes:
		fmt.Fprintf(c.w, "indexes: %d keys read, %.0f keys/s\n", p.Done, float64(p.Done)/secs)
	}
	if p.Problems > 0 && p.Finished {
		fmt.Fprintf(c.w, "  problems so far: %d\n", p.Problems)
	}
	c.phaseEnd, c.entriesEnd = p.Elapsed, p.Entries
}

func printCheckReport(w io.Writer, r *store.CheckReport, names map[string]string) {
	fmt.Fprintf(w, "store %s\n", r.Dir)
	if r.Tables == 0 {
		fmt.Fprintln(w, "  tables   none yet: everything is still in the write-ahead log")
	} else {
		fmt.Fprintf(w, "  tables   %d (%.1f MiB), every block checksummed\n", r.Tables, float64(r.TableBytes)/(1<<20))
	}
	fmt.Fprintf(w, "  chains   %d, %d blocks, %d entries (%d pruned, kept as leaf hashes)\n", len(r.Chains), r.Blocks, r.Entries, r.Pruned)
	fmt.Fprintf(w, "  indexes  %d keys\n", r.IndexKeys)
	fmt.Fprintf(w, "  took     %s\n", r.Elapsed.Round(time.Millisecond))
	if r.OK() {
		fmt.Fprintln(w, "OK: no problems found")
		return
	}
	fmt.Fprintf(w, "DAMAGED: %d problems\n", len(r.Problems)+r.Unlisted)
	for _, p := range r.Problems {
		var at []string
		if p.File != "" {
			at = append(at, "table "+p.File)
		}
		if p.Chain != "" {
			at = append(at, "chain "+chainLabel(p.Chain, names))
		}
		if p.Height != 0 {
			at = append(at, fmt.Sprintf("block %d", p.Height))
		}
		if p.Index != nil {
			at = append(at, fmt.Sprintf("entry %d", *p.Index))
		}
		fmt.Fprintf(w, "  %-6s %s", p.Kind, strings.Join(at, ", "))
		if p.Key != "" {
			fmt.Fprintf(w, " [%s]", p.Key)
		}
		fmt.Fprintf(w, ": %s\n", p.Detail)
	}
	if r.Unlisted > 0 {
		fmt.Fprintf(w, "  ... and %d more\n", r.Unlisted)
	}
}
