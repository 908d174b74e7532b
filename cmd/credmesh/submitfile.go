package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/records"
)

// Line outcomes.
const (
	statusAccepted  = api.StatusAccepted
	statusDuplicate = api.StatusDuplicate // accepted before: nothing to do
	statusRefused   = api.StatusRefused
	statusNotSent   = "not_sent" // the peer failed before it judged the line
	statusValid     = "valid"    // --dry-run: would be sent
)

// lineResult is one input line's outcome.
type lineResult struct {
	Line   int    `json:"line"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// tally counts the outcomes of a file.
type tally struct {
	File       string `json:"file"`
	DryRun     bool   `json:"dry_run,omitempty"`
	Accepted   int    `json:"accepted"`
	Refused    int    `json:"refused"`
	Duplicates int    `json:"duplicates"`
	NotSent    int    `json:"not_sent"`
	Valid      int    `json:"valid,omitempty"`
	// NotSentFrom and NotSentTo are the first and last lines not sent.
	NotSentFrom int    `json:"not_sent_from_line,omitempty"`
	NotSentTo   int    `json:"not_sent_to_line,omitempty"`
	Error       string `json:"error,omitempty"` // why the rest was not sent
	// UnreadAfter is the last line read when an interruption stopped the
	// reading: the lines after it were neither read nor sent.
	UnreadAfter int `json:"unread_after_line,omitempty"`
	ExitCode    int `json:"exit_code"`
	sendErr     error
}

// Exit codes of submit and credit import (documented in their help and
// docs/OPERATIONS.md).
const (
	exitRefused = 3 // some lines refused; every other line accepted
	exitNotSent = 4 // the peer failed mid-file: some lines were not sent
)

func (t *tally) add(r lineResult) {
	switch r.Status {
	case statusAccepted:
		t.Accepted++
	case statusDuplicate:
		t.Duplicates++
	case statusRefused:
		t.Refused++
	case statusValid:
		t.Valid++
	case statusNotSent:
		t.NotSent++
		if t.NotSentFrom == 0 {
			t.NotSentFrom = r.Line
		}
		t.NotSentTo = r.Line
	}
}

func (t *tally) exitCode() int {
	switch {
	case t.NotSent > 0 || t.UnreadAfter > 0:
		return exitNotSent
	case t.Refused > 0:
		return exitRefused
	}
	return 0
}

// batchSender sends one batch of encoded records.
type batchSender func(ctx context.Context, recs []json.RawMessage) (*api.SubmitResponse, error)

// fileRun is one pass over a file.
type fileRun struct {
	path            string
	batch           int         // records per request
	send            batchSender // nil for a dry run
	check           func(*records.Record) error
	failOnDuplicate bool
	// emit receives every line's result in line order, as each batch is
	// answered; progress is called after each batch with the bytes read.
	emit     func(lineResult)
	progress func(done, total int64, t *tally)
}

// maxBatchBytes keeps a request well under the API's body limit
// (api.MaxSubmitBytes): a line is at most 64 KiB, so a batch of short
// lines is cut by count and one of long lines by bytes.
const maxBatchBytes = api.MaxSubmitBytes / 2

// chunk is a run of consecutive lines: the records to send in one request
// and the lines refused before sending, kept to report in line order.
type chunk struct {
	lines  []pendingLine
	recs   []json.RawMessage
	offset int64 // bytes of the file read after it
}

type pendingLine struct {
	num int
	err error // refused while parsing; else recs[rec] is its record
	rec int
}

// run reads the file, sends it batch by batch and reports every line. A
// batch that fails (the peer stopped, its disk is full) stops the sending:
// what was accepted before stays accepted, and every later record is
// reported not sent; the rest of the file is still read, so its malformed
// lines are reported too.
func (f *fileRun) run(ctx context.Context) (*tally, error) {
	file, err := os.Open(f.path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	var total int64
	if st, err := file.Stat(); err == nil {
		total = st.Size()
	}
	sc, err := records.NewScanner(f.path, file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.path, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan chunk, 2)
	var readErr error
	go func() {
		defer close(chunks)
		readErr = f.read(ctx, sc, chunks)
	}()
	t := &tally{File: f.path, DryRun: f.send == nil}
	for c := range chunks {
		results := f.judge(ctx, t, c)
		for _, r := range results {
			t.add(r)
			f.emit(r)
		}
		if f.progress != nil {
			f.progress(c.offset, total, t)
		}
	}
	var stop *interrupted
	if errors.As(readErr, &stop) {
		t.UnreadAfter = max(stop.after, 1)
		if t.sendErr == nil {
			t.sendErr = readErr
		}
		readErr = nil
	}
	if readErr != nil {
		return t, fmt.Errorf("%s: %w", f.path, readErr)
	}
	if t.sendErr != nil {
		t.Error = t.sendErr.Error()
	}
	t.ExitCode = t.exitCode()
	return t, nil
}

// interrupted is returned by read when the command was interrupted
// before the end of the file.
type interrupted struct{ after int }

func (e *interrupted) Error() string {
	return fmt.Sprintf("interrupted: the lines after line %d were not read", e.after)
}

// read parses the file into chunks of at most f.batch lines and
// maxBatchBytes of records. Every chunk read is handed over, since run
// reports every line it was given; once ctx is done (an interrupt) it stops
// reading and says after which line.
func (f *fileRun) read(ctx context.Context, sc *records.Scanner, out chan<- chunk) error {
	var c chunk
	size, last := 0, 0
	flush := func() bool {
		c.offset = sc.Offset()
		out <- c // run drains every chunk until the channel closes
		c, size = chunk{}, 0
		return true
	}
	for sc.Scan() {
		if ctx.Err() != nil {
			if len(c.lines) > 0 {
				flush()
			}
			return &interrupted{after: last}
		}
		l := sc.Line()
		last = l.Num
		p := pendingLine{num: l.Num, err: l.Err}
		if p.err == nil && f.check != nil {
			p.err = f.check(&l.Record)
		}
		if p.err == nil {
			b, err := json.Marshal(l.Record)
			if err != nil {
				p.err = err
			} else {
				if size+len(b) > maxBatchBytes && !flush() {
					return nil
				}
				p.rec = len(c.recs)
				c.recs = append(c.recs, b)
				size += len(b)
			}
		}
		c.lines = append(c.lines, p)
		if len(c.lines) >= f.batch && !flush() {
			return nil
		}
	}
	if len(c.lines) > 0 {
		flush()
	}
	return sc.Err()
}

// judge sends a chunk's records (unless sending has failed, or this is a
// dry run) and returns the results of its lines in line order.
func (f *fileRun) judge(ctx context.Context, t *tally, c chunk) []lineResult {
	var resp *api.SubmitResponse
	if len(c.recs) > 0 && f.send != nil && t.sendErr == nil {
		var err error
		resp, err = f.send(ctx, c.recs)
		if err == nil && len(resp.Results) != len(c.recs) {
			err = fmt.Errorf("the peer answered %d results for %d records", len(resp.Results), len(c.recs))
		}
		if err != nil {
			if errors.Is(ctx.Err(), context.Canceled) {
				err = errors.New("interrupted")
			}
			t.sendErr = err
			resp = nil
		}
	}
	out := make([]lineResult, len(c.lines))
	for i, p := range c.lines {
		r := lineResult{Line: p.num}
		switch {
		case p.err != nil:
			r.Status, r.Error = statusRefused, p.err.Error()
		case f.send == nil:
			r.Status = statusValid
		case resp == nil:
			r.Status = statusNotSent
		default:
			res := resp.Results[p.rec]
			r.Status, r.Error = res.Status, res.Error
			switch {
			case r.Status != api.StatusDuplicate:
			case f.failOnDuplicate:
				r.Status = statusRefused
			default:
				r.Status, r.Error = statusDuplicate, ""
			}
		}
		out[i] = r
	}
	return out
}
