package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how far a file has been sent, on stderr: a bar on a
// terminal, a plain line at most every interval elsewhere (a log, a pipe),
// nothing with "none". Results go to stdout; the bar is cleared before
// each is printed, so the two never run into each other on one terminal.
type progress struct {
	w        io.Writer
	file     string
	bar      *progressbar.ProgressBar
	lines    bool
	every    time.Duration
	last     time.Time
	finished bool
}

func newProgress(mode string, every time.Duration, w io.Writer, file string, size int64) (*progress, error) {
	p := &progress{w: w, file: filepath.Base(file), every: every}
	if mode == "auto" {
		mode = "lines"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "bar"
		}
	}
	switch mode {
	case "bar":
		p.bar = progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(file),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
		)
	case "lines":
		p.lines = true
		p.last = time.Now()
	case "none":
	default:
		return nil, usageErr(fmt.Sprintf("--progress %q: want auto, bar, lines or none", mode))
	}
	return p, nil
}

// update reports done of total bytes read and what the peer said so far.
func (p *progress) update(done, total int64, t *tally) {
	counts := fmt.Sprintf("%d accepted, %d refused, %d duplicates", t.Accepted, t.Refused, t.Duplicates)
	if t.DryRun {
		counts = fmt.Sprintf("%d valid, %d refused", t.Valid, t.Refused)
	}
	switch {
	case p.bar != nil:
		p.bar.Describe(p.file + ": " + counts)
		p.bar.Set64(done)
	case p.lines:
		if time.Since(p.last) < p.every {
			return
		}
		p.last = time.Now()
		pct := 100.0
		if total > 0 {
			pct = 100 * float64(done) / float64(total)
		}
		fmt.Fprintf(p.w, "%s: %.0f%% read (%s of %s): %s\n", p.file, pct, mb(done), mb(total), counts)
	}
}

// clear takes the bar off the terminal before a result is printed.
func (p *progress) clear() {
	if p.bar != nil && p.bar.IsStarted() && !p.finished {
		p.bar.Clear()
	}
}

// done ends the bar.
func (p *progress) done() {
	if p.bar != nil && !p.finished {
		p.finished = true
		p.bar.Finish()
		p.bar.Clear()
	}
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
