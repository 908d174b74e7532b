package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/credmesh/credmesh/api"
)

// printWitnessing shows our cosigning and every other member as a
// witness: what we received of it, what it missed, how far behind it is.
func printWitnessing(out io.Writer, w *api.WitnessingStatus) {
	if w == nil {
		return
	}
	last := "never"
	if w.LastMade != "" {
		last = w.LastMade
	}
	fmt.Fprintf(out, "\nwitnessing: every %gs; cosigned %d statements (last %s), refused %d non-extending heads\n", w.PeriodSeconds, w.Made, last, w.Refused)
	if len(w.Witnesses) == 0 {
		return
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WITNESS\tRECEIVED\tMISSING\tREJECTED\tBEHIND\tLAST\t")
	for _, v := range w.Witnesses {
		behind, lastAt := fmt.Sprintf("%d blocks", v.BlocksBehind), "never"
		if v.LastCosigned != "" {
			behind += fmt.Sprintf(", %.0fs", v.SecondsBehind)
			lastAt = v.LastCosigned
		}
		flag := ""
		switch {
		case v.Forked:
			flag = "EQUIVOCATED"
		case v.OtherView > 0:
			flag = fmt.Sprintf("SPLIT VIEW x%d", v.OtherView)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\n", v.Name, v.Received, v.Missing, v.Rejected, behind, lastAt, flag)
	}
	tw.Flush()
}
