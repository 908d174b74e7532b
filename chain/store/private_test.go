package store_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/store"
	"google.golang.org/protobuf/proto"
)

func privateEntry(t *testing.T, c *chainpb.CreditEvent) []byte {
	t.Helper()
	b, err := chain.EncodeEntry(&chainpb.Entry{Body: &chainpb.Entry_CreditEvent{CreditEvent: c}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPrivateRecords(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	subj := chaintest.Ref(7)
	// CreditEvent(n) is about Ref(n % 1000).
	a, b := chaintest.CreditEvent(7), chaintest.CreditEvent(1007)
	if err := s.PutPrivate(subj, "b-account", privateEntry(t, b)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPrivate(subj, "a-account", privateEntry(t, a)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPrivate(chaintest.Ref(8), "x", privateEntry(t, chaintest.CreditEvent(8))); err != nil {
		t.Fatal(err)
	}
	got, err := s.Private(subj)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !bytes.Equal(got[0], privateEntry(t, a)) || !bytes.Equal(got[1], privateEntry(t, b)) {
		t.Fatalf("Private returned %d records, not the two in ID order", len(got))
	}

	// A second record under a held ID is refused, and the first kept,
	// across a reopen too.
	first := privateEntry(t, a)
	a.OutstandingMinor = 1
	if err := s.PutPrivate(subj, "a-account", privateEntry(t, a)); !errors.Is(err, store.ErrPrivateExists) || !strings.Contains(err.Error(), "a-account") {
		t.Fatalf("a second record under a held ID: %v", err)
	}
	s.Close()
	s = open(t, dir)
	defer s.Close()
	if err := s.PutPrivate(subj, "a-account", privateEntry(t, a)); !errors.Is(err, store.ErrPrivateExists) {
		t.Fatalf("a second record under a held ID after a reopen: %v", err)
	}
	got, _ = s.Private(subj)
	if len(got) != 2 || !bytes.Equal(got[0], first) {
		t.Fatal("a refused record replaced the one held")
	}
	if held, err := s.HasPrivate(subj, "a-account"); err != nil || !held {
		t.Fatalf("HasPrivate of a held record: %v %v", held, err)
	}
	if held, err := s.HasPrivate(chaintest.Ref(9), "a-account"); err != nil || held {
		t.Fatalf("HasPrivate of another subject's: %v %v", held, err)
	}
	if err := s.DeletePrivate(subj, "b-account"); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.Private(subj); len(got) != 1 {
		t.Fatalf("%d records after delete, want 1", len(got))
	}
	if err := s.PutPrivate(subj, "b-account", privateEntry(t, b)); err != nil {
		t.Fatalf("a deleted record's ID: %v", err)
	}
	if got, _ = s.Private(chaintest.Ref(9)); len(got) != 0 {
		t.Fatal("records of an unknown subject")
	}
	// Private records are not chain entries: no index sees them.
	found := false
	s.BySubject(subj, func(store.Location) bool { found = true; return false })
	if found || len(s.Heads()) != 0 {
		t.Fatal("a private record leaked into the chain indexes")
	}
}

func TestPutPrivateRejects(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	subj := chaintest.Ref(7)
	good := privateEntry(t, chaintest.CreditEvent(7))
	bad := chaintest.CreditEvent(7)
	bad.Currency = "yuan"
	badBytes, _ := chainEncodeUnchecked(bad)
	cases := map[string]struct {
		subject []byte
		id      string
		entry   []byte
	}{
		"short subject":    {subj[:31], "id", good},
		"empty id":         {subj, "", good},
		"id with a space":  {subj, "a b", good},
		"long id":          {subj, string(bytes.Repeat([]byte{'a'}, 129)), good},
		"garbage":          {subj, "id", []byte{0xff, 0x01}},
		"payment entry":    {subj, "id", chaintest.PaymentEntry(0, 1)},
		"other subject":    {chaintest.Ref(8), "id", good},
		"invalid currency": {subj, "id", badBytes},
		"oversized":        {subj, "id", make([]byte, 65<<10)},
	}
	for name, tc := range cases {
		if err := s.PutPrivate(tc.subject, tc.id, tc.entry); !errors.Is(err, store.ErrBadPrivate) {
			t.Errorf("%s: got %v, want ErrBadPrivate", name, err)
		}
	}
	if _, err := s.Private(subj[:5]); !errors.Is(err, store.ErrBadPrivate) {
		t.Errorf("Private with a short subject: %v", err)
	}
}

// chainEncodeUnchecked encodes an entry without validating it.
func chainEncodeUnchecked(c *chainpb.CreditEvent) ([]byte, error) {
	return proto.Marshal(&chainpb.Entry{Body: &chainpb.Entry_CreditEvent{CreditEvent: c}})
}
