package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/credmesh/credmesh/queryproto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Every outcome of a lookup has its exit code: a failed check of any kind
// (a malformed answer included) 4, a fork 6, a conflict 5 with every
// record printed, NOT_FOUND 3 naming the peers, anything else 1.
func TestQueryPaymentExitCodes(t *testing.T) {
	var members []config.Member
	var pays []queryproto.Payment
	for i, name := range []string{"Tax Bureau", "Lender"} {
		id, err := peerid.FromIssuer(chaintest.Issuer(i))
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, config.Member{ID: id, Name: name, Roles: []config.Role{config.RolePayments}})
		h, err := chain.SignHeader(chain.Header{NetworkID: chaintest.NetworkID, Issuer: chaintest.Issuer(i), Height: 3, Time: chaintest.Epoch, EntryCount: 1}, chaintest.Key(i))
		if err != nil {
			t.Fatal(err)
		}
		rec := chaintest.PaymentRecord(0, 1)
		rec.AmountMinor = uint64(555_500 - i*555_499)
		pays = append(pays, queryproto.Payment{Record: rec, Issuer: chaintest.Issuer(i), Height: 3, Header: h, Peer: id, Peers: []peer.ID{id}})
	}
	g := config.NewGenesis(chaintest.NetworkID, time.Now(), members, config.DefaultGenesisParams())
	p := members[1].ID
	other, err := chain.SignHeader(chain.Header{NetworkID: chaintest.NetworkID, Issuer: chaintest.Issuer(0), Height: 3, Time: chaintest.Epoch.Add(time.Second), EntryCount: 2}, chaintest.Key(0))
	if err != nil {
		t.Fatal(err)
	}
	fork := queryproto.Fork{Issuer: chaintest.Issuer(0), A: pays[0].Header, B: other, Evidence: chain.NewEvidence(pays[0].Header, other), ServedBy: []peer.ID{p}}
	forkedPay := pays[0]
	forkedPay.Forked = true
	forkedRes := &queryproto.LookupResult{OrderID: "O-1-00000001", Payments: []queryproto.Payment{forkedPay}, Forks: []queryproto.Fork{fork}}
	forkErr := &queryproto.ForkError{Fork: fork, Forks: forkedRes.Forks, Payments: forkedRes.Payments}
	malformed := &queryproto.CheckError{Peer: p, Check: "answer decoding", Err: fmt.Errorf("peer %s: %w: proof 0: proof has no header", p, queryproto.ErrMalformed)}
	omission := &queryproto.CheckError{Peer: p, Check: "omission", Err: errors.New("left out issuer 3a6639ef's record")}
	cases := []struct {
		name string
		res  *queryproto.LookupResult
		err  error
		code int
		want []string // in the message or the output
	}{
		{"verified", &queryproto.LookupResult{OrderID: "O-1-00000001", Payments: pays[:1]}, nil, 0, []string{"verified", "Tax Bureau", "5555.00"}},
		{"malformed answer", &queryproto.LookupResult{}, malformed, exitVerify, []string{`check "answer decoding" failed`, p.String()}},
		{"two failed checks", &queryproto.LookupResult{}, errors.Join(malformed, omission), exitVerify, []string{"answer decoding", `"omission"`}},
		{"fork", forkedRes, forkErr, exitForked, []string{"two different headers at height 3", "Tax Bureau", "FORKED",
			"height    3", pays[0].Header.Hash.String(), other.Hash.String(), "served by " + p.String(),
			"record 1 of 1 — verified, but its issuer is FORKED", "5555.00"}},
		{"conflict", &queryproto.LookupResult{OrderID: "O-1-00000001", Payments: pays}, &queryproto.ConflictError{OrderID: "O-1-00000001", Payments: pays}, exitConflict, []string{"CONFLICT: 2 issuers", "Tax Bureau", "Lender", "5555.00", "0.01", "record 2 of 2"}},
		{"not found", &queryproto.LookupResult{}, &queryproto.NotFoundError{Peers: []peer.ID{p}}, exitNotFound, []string{queryproto.NotFoundWording, p.String()}},
		{"timeout", &queryproto.LookupResult{}, fmt.Errorf("%w: peer %s", queryproto.ErrTimeout, p), 1, []string{"timed out"}},
	}
	for _, tc := range cases {
		var out bytes.Buffer
		err := showLookup(&out, g, tc.res, tc.err, false)
		code, msg := 0, ""
		var ee *exitError
		switch {
		case errors.As(err, &ee):
			code, msg = ee.code, ee.msg
		case err != nil:
			code, msg = 1, err.Error()
		}
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d: %v", tc.name, code, tc.code, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg+out.String(), w) {
				t.Errorf("%s: %q missing from:\n%s\n%s", tc.name, w, msg, out.String())
			}
		}
	}
}

// With --json a fork prints the records, the forked one marked, and the
// evidence, and still exits 6.
func TestQueryPaymentForkJSON(t *testing.T) {
	id, err := peerid.FromIssuer(chaintest.Issuer(0))
	if err != nil {
		t.Fatal(err)
	}
	g := config.NewGenesis(chaintest.NetworkID, time.Now(), []config.Member{{ID: id, Name: "Tax Bureau", Roles: []config.Role{config.RolePayments}}}, config.DefaultGenesisParams())
	var hs []*chain.SignedHeader
	for i := range 2 {
		h, err := chain.SignHeader(chain.Header{NetworkID: chaintest.NetworkID, Issuer: chaintest.Issuer(0), Height: 3, Time: chaintest.Epoch, EntryCount: uint32(i + 1)}, chaintest.Key(0))
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	ev := chain.NewEvidence(hs[0], hs[1])
	pay := queryproto.Payment{Record: chaintest.PaymentRecord(0, 1), Issuer: chaintest.Issuer(0), Height: 3, Header: hs[0], Peer: id, Peers: []peer.ID{id}, Forked: true}
	fork := queryproto.Fork{Issuer: chaintest.Issuer(0), A: ev.A, B: ev.B, Evidence: ev, ServedBy: []peer.ID{id}}
	res := &queryproto.LookupResult{OrderID: "O-1-00000001", Payments: []queryproto.Payment{pay}, Forks: []queryproto.Fork{fork}}
	var out bytes.Buffer
	err = showLookup(&out, g, res, &queryproto.ForkError{Fork: fork, Forks: res.Forks, Payments: res.Payments}, true)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitForked {
		t.Fatalf("exit: %v, want %d", err, exitForked)
	}
	var v api.PaymentLookup
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if len(v.Records) != 1 || !v.Records[0].Forked || len(v.Forks) != 1 {
		t.Fatalf("JSON of a fork: %s", out.String())
	}
	f := v.Forks[0]
	if f.Issuer != id.String() || f.Name != "Tax Bureau" || f.Height != 3 || !slices.Equal(f.Hashes, []string{ev.A.Hash.String(), ev.B.Hash.String()}) || !slices.Equal(f.ServedBy, []string{id.String()}) {
		t.Fatalf("the evidence in JSON: %+v", f)
	}
}

// A --batch file is read one order ID per line, and one that is not a file
// of order IDs (a line longer than any order ID) is refused by line
// before anything is held for the rest of it.
func TestReadOrderIDs(t *testing.T) {
	in := "# certificates\nSI-0000000000000001\n\n  SI-0000000000000002  \n"
	ids, err := readOrderIDs("-", strings.NewReader(in))
	if err != nil || len(ids) != 2 || ids[1] != "SI-0000000000000002" {
		t.Fatalf("%q %v", ids, err)
	}
	_, err = readOrderIDs("-", strings.NewReader("SI-0000000000000001\n"+strings.Repeat("x", 4000)+"\n"))
	if err == nil || !strings.Contains(err.Error(), "-:2:") {
		t.Fatalf("a 4000-byte line: %v", err)
	}
	if _, err := readOrderIDs("-", strings.NewReader("# nothing\n")); err == nil {
		t.Fatal("a file with no order IDs was accepted")
	}
}
