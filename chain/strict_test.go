package chain_test

import (
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// wrap returns the encoded Entry whose oneof field num (1 payment, 2 credit
// event, 3 receipt, 4 correction) holds body as it is.
func wrap(num protowire.Number, body []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), body)
}

func encodeMsg(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func varintField(num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), v)
}

// Entries are hashed into blocks and signed: bytes that proto.Unmarshal
// would accept but read loosely are refused (PROTOCOL.md 4.1).
func TestDecodeEntryIsStrict(t *testing.T) {
	event := encodeMsg(t, chaintest.CreditEvent(1))
	receipt := encodeMsg(t, chaintest.Receipt(1, 1))
	if _, err := chain.DecodeEntry(wrap(2, event), 4096); err != nil {
		t.Fatalf("the valid entry: %v", err)
	}
	// Kind 1 (OPENED) encoded as 2^32 + 1: proto.Unmarshal truncates it
	// to 1, and the event looks valid.
	noKind := chaintest.CreditEvent(1)
	noKind.Kind = 0
	wideKind := slices.Concat(encodeMsg(t, noKind), varintField(4, 1<<32|1))
	noCount := chaintest.Receipt(1, 1)
	noCount.RecordsReturned = 0
	wideCount := slices.Concat(encodeMsg(t, noCount), varintField(7, 1<<32|3))
	cases := map[string][]byte{
		"unknown field in the entry":     slices.Concat(wrap(2, event), varintField(9, 1)),
		"unknown field in the event":     wrap(2, slices.Concat(event, varintField(99, 7))),
		"field with another wire type":   wrap(2, slices.Concat(event, protowire.AppendFixed32(protowire.AppendTag(nil, 5, protowire.Fixed32Type), 1))),
		"field twice":                    wrap(2, slices.Concat(event, protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "EV-2"))),
		"two bodies of the oneof":        slices.Concat(wrap(3, receipt), wrap(2, event)),
		"the body twice":                 slices.Concat(wrap(2, event), wrap(2, event)),
		"enum beyond 32 bits":            wrap(2, wideKind),
		"uint32 beyond 32 bits":          wrap(3, wideCount),
		"unknown field in a replacement": wrap(4, encodeMsg(t, correction(t, slices.Concat(wrap(2, event), varintField(15, 0))))),
	}
	for name, data := range cases {
		var loose chainpb.Entry
		if err := proto.Unmarshal(data, &loose); err != nil || chain.ValidateEntry(&loose) != nil {
			t.Errorf("%s: a loose decoder refuses it already (%v, %v): the case tests nothing", name, err, chain.ValidateEntry(&loose))
		}
		_, err := chain.DecodeEntry(data, 4096)
		if !errors.Is(err, chain.ErrMalformed) || !chain.IsProvable(err) {
			t.Errorf("%s: got %v, want provable ErrMalformed", name, err)
		}
	}
}

// correction returns a valid correction replacing with an entry whose
// encoding is replacement (decoded loosely, so unknown fields stay in it).
func correction(t *testing.T, replacement []byte) *chainpb.Correction {
	t.Helper()
	var e chainpb.Entry
	if err := proto.Unmarshal(replacement, &e); err != nil {
		t.Fatal(err)
	}
	return &chainpb.Correction{
		CorrectionId: "FIX-1", TargetKey: append([]byte{chain.KeyCreditEvent}, chaintest.CreditEvent(1).EventId...),
		Action: chainpb.CorrectionAction_CORRECTION_ACTION_REPLACE, Reason: "typo", Replacement: &e,
	}
}

func TestDecodeSignedHeaderIsStrict(t *testing.T) {
	b := chaintest.Chain(0, 2)[0]
	if _, err := chain.DecodeSignedHeader(b.Raw, b.Signature); err != nil {
		t.Fatal(err)
	}
	var h chainpb.Header
	if err := proto.Unmarshal(b.Raw, &h); err != nil {
		t.Fatal(err)
	}
	h.EntryCount = 0
	noCount := encodeMsg(t, &h)
	for name, raw := range map[string][]byte{
		"unknown field":           slices.Concat(b.Raw, varintField(8, 1)),
		"height twice":            slices.Concat(b.Raw, varintField(3, 1)),
		"entry_count of 2^32 + 2": slices.Concat(noCount, varintField(6, 1<<32|2)),
	} {
		if _, err := chain.DecodeSignedHeader(raw, b.Signature); !errors.Is(err, chain.ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
}

// The envelopes around signed bytes are decoded as protobuf does: a field
// this version does not know is skipped.
func TestBlockEnvelopeIgnoresUnknownFields(t *testing.T) {
	b := chaintest.Chain(0, 2)[0]
	data := slices.Concat(b.Marshal(), varintField(9, 1))
	got, err := chain.DecodeBlock(data, chaintest.Params())
	if err != nil {
		t.Fatalf("a block with an unknown envelope field: %v", err)
	}
	if got.Hash != b.Hash {
		t.Fatal("the envelope changed the block")
	}
}

// Text fields refuse exactly the code points of general category Cc: C0,
// DEL and C1 (PROTOCOL.md 5.4).
func TestTextControlCharacters(t *testing.T) {
	for _, r := range []rune{0x00, 0x09, 0x0a, 0x1f, 0x7f, 0x80, 0x85, 0x9f} {
		rec := chaintest.PaymentRecord(0, 1)
		rec.Item = "levy" + string(r) + "item"
		if err := chain.ValidatePaymentRecord(rec); !errors.Is(err, chain.ErrBadEntry) || !strings.Contains(err.Error(), "item") {
			t.Errorf("U+%04X in item: got %v, want it refused", r, err)
		}
		c := correction(t, wrap(2, encodeMsg(t, chaintest.CreditEvent(1))))
		c.Reason = "typo" + string(r)
		if err := chain.ValidateEntry(&chainpb.Entry{Body: &chainpb.Entry_Correction{Correction: c}}); !errors.Is(err, chain.ErrBadEntry) || !strings.Contains(err.Error(), "reason") {
			t.Errorf("U+%04X in a correction's reason: got %v, want it refused", r, err)
		}
	}
	for _, r := range []rune{' ', '~', 0xa0, 0xad, 0x200b, 0x2028, 0x2029, 0x202e, 0xfeff, 0xfffd, 0x1f600} {
		rec := chaintest.PaymentRecord(0, 1)
		rec.Item = "levy" + string(r) + "item"
		if err := chain.ValidatePaymentRecord(rec); err != nil {
			t.Errorf("U+%04X in item: %v, want it accepted", r, err)
		}
	}
	rec := chaintest.PaymentRecord(0, 1)
	rec.Channel = "bank\xff"
	if err := chain.ValidatePaymentRecord(rec); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("invalid UTF-8: got %v", err)
	}
}

// The currency list is part of the protocol: PROTOCOL.md 5.4.1 lists the
// codes CheckCurrency accepts, no more and no fewer.
func TestProtocolCurrencyList(t *testing.T) {
	doc, err := os.ReadFile("../docs/PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```currencies\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("PROTOCOL.md has no ```currencies block")
	}
	listed := strings.Fields(string(m[1]))
	if !slices.Equal(listed, chain.Currencies()) {
		t.Fatalf("PROTOCOL.md lists %d codes, chain accepts %d:\n%v\n%v", len(listed), len(chain.Currencies()), listed, chain.Currencies())
	}
	for _, c := range listed {
		if err := chain.CheckCurrency(c); err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
	for _, c := range []string{"CNY", "EUR", "DEM", "MRU", "VES", "ZWG"} {
		if err := chain.CheckCurrency(c); err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
	for _, c := range []string{"XYZ", "RMB", "cny", "CN", "CNYY", "C1Y", ""} {
		if chain.CheckCurrency(c) == nil {
			t.Errorf("%q accepted", c)
		}
	}
}
