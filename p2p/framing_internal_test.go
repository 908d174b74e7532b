package p2p

import (
	"bufio"
	"bytes"
	"errors"
	"testing"

	"github.com/credmesh/credmesh/internal/frame"
	"github.com/credmesh/credmesh/p2p/p2ppb"
	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/proto"
)

// Status and sync messages are framed as query messages are
// (PROTOCOL.md 4): a minimal length prefix, one message, the end.
func TestReadMsgIsStrict(t *testing.T) {
	var buf bytes.Buffer
	if err := writeMsg(&buf, &p2ppb.SyncRequest{Issuer: make([]byte, 32), FromHeight: 1, Count: 1}); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	read := func(b []byte) error {
		var req p2ppb.SyncRequest
		release, err := readMsg(bytes.NewReader(b), nil, &req, MaxSyncRequestBytes)
		if err == nil {
			release()
		}
		return err
	}
	if err := read(good); err != nil {
		t.Fatalf("a good message: %v", err)
	}
	// protodelim, what peers read with before, takes every one of these.
	long := append([]byte{good[0] | 0x80, 0x00}, good[1:]...)
	for name, b := range map[string][]byte{
		"a byte after the message": append(bytes.Clone(good), 0),
		"two messages":             append(bytes.Clone(good), good...),
		"prefix in two bytes":      long,
	} {
		var req p2ppb.SyncRequest
		if err := protodelim.UnmarshalFrom(bufio.NewReader(bytes.NewReader(b)), &req); err != nil {
			t.Errorf("%s: protodelim refuses it: the case tests nothing", name)
		}
		if err := read(b); !errors.Is(err, frame.ErrMalformed) {
			t.Errorf("%s: %v, want frame.ErrMalformed", name, err)
		}
	}
	if err := read(append([]byte{0x82, 0x02}, make([]byte, 258)...)); !errors.Is(err, frame.ErrTooLarge) {
		t.Errorf("a message over the cap: %v, want frame.ErrTooLarge", err)
	}
}

// scope counts the memory reserved of it.
type scope struct{ asked []int }

func (s *scope) ReserveMemory(n int, _ uint8) error { s.asked = append(s.asked, n); return nil }
func (s *scope) ReleaseMemory(int)                  {}

// A status or sync message reserves from the stream's scope the length it
// announces, not its cap, and a small one nothing.
func TestReadMsgReservesTheAnnouncedLength(t *testing.T) {
	var buf bytes.Buffer
	big := &p2ppb.SyncResponse{Status: p2ppb.SyncStatus_SYNC_STATUS_OK, Blocks: [][]byte{make([]byte, 40<<10)}}
	if err := writeMsg(&buf, big); err != nil {
		t.Fatal(err)
	}
	sc := &scope{}
	var resp p2ppb.SyncResponse
	release, err := readMsg(bytes.NewReader(buf.Bytes()), sc, &resp, MaxSyncBytes)
	if err != nil {
		t.Fatal(err)
	}
	release()
	if want := proto.Size(big); len(sc.asked) != 1 || sc.asked[0] != want {
		t.Fatalf("reserved %v for a message of %d bytes (cap %d)", sc.asked, want, MaxSyncBytes)
	}
	buf.Reset()
	if err := writeMsg(&buf, &p2ppb.SyncRequest{Issuer: make([]byte, 32), FromHeight: 1, Count: 1}); err != nil {
		t.Fatal(err)
	}
	sc = &scope{}
	var req p2ppb.SyncRequest
	if release, err = readMsg(bytes.NewReader(buf.Bytes()), sc, &req, MaxSyncRequestBytes); err != nil {
		t.Fatal(err)
	}
	release()
	if len(sc.asked) != 0 {
		t.Fatalf("reserved %v for a request of a few bytes", sc.asked)
	}
}
