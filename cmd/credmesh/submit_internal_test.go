package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/records"
)

// The pipeline reads ahead while a batch is out (run it with -race): the
// results still come in line order, refusals found while reading wait for
// the batch before them, and a failing batch stops the sending for good.
func TestFileRunOrderAndFailure(t *testing.T) {
	var b strings.Builder
	for i := range 50 {
		if i%7 == 3 {
			b.WriteString("{not json\n")
			continue
		}
		r := records.SamplePayment("run", i, 10)
		data, _ := json.Marshal(r)
		b.Write(data)
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "f.jsonl")
	os.WriteFile(path, []byte(b.String()), 0o600)

	batches := 0
	send := func(_ context.Context, recs []json.RawMessage) (*api.SubmitResponse, error) {
		batches++
		if batches == 3 {
			return nil, errors.New("api: Post …: EOF")
		}
		resp := &api.SubmitResponse{}
		for i := range recs {
			res := api.SubmitResult{Index: i, Status: "accepted"}
			if batches == 2 && i == 0 {
				res = api.SubmitResult{Index: i, Status: api.StatusDuplicate, Error: chain.ErrAlreadyAccepted.Error()}
			}
			resp.Results = append(resp.Results, res)
		}
		return resp, nil
	}
	var got []lineResult
	f := &fileRun{path: path, batch: 10, send: send, emit: func(r lineResult) { got = append(got, r) }}
	tl, err := f.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 50 {
		t.Fatalf("%d results", len(got))
	}
	for i, r := range got {
		want := statusAccepted
		switch {
		case i%7 == 3:
			want = statusRefused
		case i >= 20:
			want = statusNotSent
		case i == 11: // line 11 is refused: the second batch starts at 12
			want = statusDuplicate
		}
		if r.Line != i+1 || r.Status != want {
			t.Fatalf("result %d: %+v, want line %d %s", i, r, i+1, want)
		}
	}
	if tl.ExitCode != exitNotSent || tl.NotSentFrom != 21 || tl.NotSentTo != 50 || tl.Duplicates != 1 || !strings.Contains(notSentMessage(tl), "lines 21 to 50") {
		t.Fatalf("%+v\n%s", tl, notSentMessage(tl))
	}
	if batches != 3 {
		t.Fatalf("%d batches sent, want none after the failure", batches)
	}
}

// TestSubmitDuplicateIsThePeersStatus: a line is a duplicate when the peer
// says so by status, whatever the text; --fail-on-duplicate refuses it
// with the peer's reason.
func TestSubmitDuplicateIsThePeersStatus(t *testing.T) {
	var b strings.Builder
	for i := range 3 {
		data, _ := json.Marshal(records.SamplePayment("dup", i, 10))
		b.Write(data)
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "f.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	send := func(context.Context, []json.RawMessage) (*api.SubmitResponse, error) {
		return &api.SubmitResponse{Results: []api.SubmitResult{
			{Index: 0, Status: api.StatusAccepted},
			{Index: 1, Status: api.StatusDuplicate, Error: "order ID accepted before"},
			{Index: 2, Status: api.StatusRefused, Error: "duplicate: " + chain.ErrAlreadyAccepted.Error()},
		}}, nil
	}
	for _, failOnDuplicate := range []bool{false, true} {
		var got []lineResult
		f := &fileRun{path: path, batch: 10, send: send, failOnDuplicate: failOnDuplicate, emit: func(r lineResult) { got = append(got, r) }}
		tl, err := f.run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := []lineResult{
			{Line: 1, Status: statusAccepted},
			{Line: 2, Status: statusDuplicate},
			{Line: 3, Status: statusRefused, Error: "duplicate: " + chain.ErrAlreadyAccepted.Error()},
		}
		if failOnDuplicate {
			want[1] = lineResult{Line: 2, Status: statusRefused, Error: "order ID accepted before"}
		}
		if len(got) != len(want) {
			t.Fatalf("fail on duplicate %v: %+v", failOnDuplicate, got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("fail on duplicate %v: line %d: %+v, want %+v", failOnDuplicate, i+1, got[i], want[i])
			}
		}
		if tl.ExitCode != exitRefused {
			t.Errorf("fail on duplicate %v: exit code %d, want %d", failOnDuplicate, tl.ExitCode, exitRefused)
		}
	}
}

// An interrupt (Ctrl-C cancels the command's context) while the file is
// being read never ends in exit 0: every line handed to a batch is
// reported, and the summary says after which line nothing was read.
func TestFileRunInterrupted(t *testing.T) {
	var b strings.Builder
	for i := range 200 {
		data, _ := json.Marshal(records.SamplePayment("run", i, 10))
		b.Write(data)
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "f.jsonl")
	os.WriteFile(path, []byte(b.String()), 0o600)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	batches := 0
	send := func(_ context.Context, recs []json.RawMessage) (*api.SubmitResponse, error) {
		batches++
		if batches == 2 {
			cancel() // the interrupt arrives while the second batch is out; the peer still answers it
		}
		resp := &api.SubmitResponse{}
		for i := range recs {
			resp.Results = append(resp.Results, api.SubmitResult{Index: i, Status: "accepted"})
		}
		return resp, nil
	}
	for _, dry := range []bool{false, true} {
		ctx, cancel = context.WithCancel(context.Background())
		batches = 0
		var got []lineResult
		f := &fileRun{path: path, batch: 10, emit: func(r lineResult) { got = append(got, r) }}
		if !dry {
			f.send = send
		} else {
			var checked atomic.Int64
			stop := cancel
			f.check = func(*records.Record) error { // on the reading goroutine
				if checked.Add(1) == 25 {
					stop()
				}
				return nil
			}
		}
		tl, err := f.run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if tl.ExitCode != exitNotSent || tl.UnreadAfter == 0 || tl.UnreadAfter >= 200 || len(got) > tl.UnreadAfter {
			t.Fatalf("dry run %v: %d lines reported, %+v", dry, len(got), tl)
		}
		for i, r := range got {
			if r.Line != i+1 || r.Status == statusNotSent && i < 20 {
				t.Fatalf("dry run %v: result %d: %+v", dry, i, r)
			}
		}
		if msg := notSentMessage(tl); !strings.Contains(msg, "interrupted") {
			t.Fatalf("dry run %v: %s", dry, msg)
		}
		cancel()
	}
}
