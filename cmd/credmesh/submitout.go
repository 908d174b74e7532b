package main

import (
	"fmt"
	"io"
)

// resultPrinter prints line results as they come, in line order.
type resultPrinter struct {
	w       io.Writer
	file    string
	asJSON  bool
	verbose bool
	prog    *progress
}

func newResultPrinter(w io.Writer, file string, asJSON, verbose bool, prog *progress) *resultPrinter {
	return &resultPrinter{w: w, file: file, asJSON: asJSON, verbose: verbose, prog: prog}
}

func (p *resultPrinter) line(r lineResult) {
	if p.asJSON {
		p.prog.clear()
		jsonLine(p.w, r)
		return
	}
	switch {
	case r.Status == statusRefused:
		p.prog.clear()
		fmt.Fprintf(p.w, "%s:%d: refused: %s\n", p.file, r.Line, r.Error)
	case p.verbose && r.Status == statusDuplicate:
		p.prog.clear()
		fmt.Fprintf(p.w, "%s:%d: duplicate: accepted before\n", p.file, r.Line)
	case p.verbose && r.Status == statusNotSent:
		p.prog.clear()
		fmt.Fprintf(p.w, "%s:%d: not sent\n", p.file, r.Line)
	case p.verbose:
		p.prog.clear()
		fmt.Fprintf(p.w, "%s:%d: %s\n", p.file, r.Line, r.Status)
	}
}

func (p *resultPrinter) summary(t *tally) error {
	if p.asJSON {
		return jsonLine(p.w, map[string]any{"summary": t})
	}
	var err error
	if t.DryRun {
		_, err = fmt.Fprintf(p.w, "%s: dry run: %d valid, %d refused; nothing was sent\n", t.File, t.Valid, t.Refused)
	} else {
		_, err = fmt.Fprintf(p.w, "%s: %d accepted, %d refused, %d duplicates, %d not sent\n", t.File, t.Accepted, t.Refused, t.Duplicates, t.NotSent)
	}
	return err
}
