package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
)

// Evidence and its acknowledgement survive a reopen; the acknowledgement
// leaves the evidence in place, and needs evidence to acknowledge.
func TestEvidenceAndAcknowledgement(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	x := chaintest.BulkChain(2, nil, 0, 4, 4)[0]
	y := chaintest.BulkChain(2, nil, 100, 4, 4)[0]
	ev := chain.NewEvidence(x.SignedHeader, y.SignedHeader)
	iss := chaintest.Issuer(2)

	if got, err := s.EvidenceOf(iss); got != nil || err != nil {
		t.Fatalf("evidence of an issuer that did not fork: %v, %v", got, err)
	}
	ack := store.EvidenceAck{At: time.UnixMilli(1_700_000_000_000), Note: "called their operations desk; restored from a backup"}
	if err := s.AckEvidence(iss, ack); !errors.Is(err, store.ErrNoEvidence) {
		t.Fatalf("acknowledging a fork without evidence: %v", err)
	}
	if err := s.SaveEvidence(ev); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", strings.Repeat("x", store.MaxAckNoteBytes+1), "\xff"} {
		if err := s.AckEvidence(iss, store.EvidenceAck{At: ack.At, Note: bad}); err == nil {
			t.Fatalf("note %q accepted", bad)
		}
	}
	if err := s.AckEvidence(iss, ack); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = open(t, dir)
	defer s.Close()
	got, err := s.EvidenceOf(iss)
	if err != nil || got == nil || got.A.Hash != ev.A.Hash || got.B.Hash != ev.B.Hash {
		t.Fatalf("evidence after reopen: %v, %v", got, err)
	}
	acks, err := s.EvidenceAcks()
	if err != nil || len(acks) != 1 || !acks[iss].At.Equal(ack.At) || acks[iss].Note != ack.Note {
		t.Fatalf("acknowledgements after reopen: %v, %v", acks, err)
	}
	if all, err := s.Evidence(); err != nil || len(all) != 1 {
		t.Fatalf("the acknowledgement changed the evidence: %v, %v", all, err)
	}
}
