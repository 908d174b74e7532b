package privacy

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// 11010519491231002X is the worked example of GB 11643-1999; the credit
// codes are published codes of registered companies.
const (
	exampleResidentID = "11010519491231002X"
	exampleCreditCode = "914403001922038216"
)

func TestParseIDAcceptsAndNormalizes(t *testing.T) {
	cases := []struct {
		kind Kind
		raw  string
	}{
		{KindResidentID, exampleResidentID},
		{KindResidentID, " 11010519491231002x\n"},
		{KindCreditCode, exampleCreditCode},
		{KindCreditCode, "91110000802100433b"},
		{KindPassport, "chn:E12345678"},
	}
	for _, tc := range cases {
		if _, err := ParseID(tc.kind, tc.raw); err != nil {
			t.Errorf("ParseID(%s, %q): %v", tc.kind, tc.raw, err)
		}
	}
	a, _ := ParseID(KindResidentID, exampleResidentID)
	b, _ := ParseID(KindResidentID, " 11010519491231002x ")
	secret := []byte("0123456789abcdef0123456789abcdef")
	ra, _ := a.Ref(secret)
	rb, _ := b.Ref(secret)
	if ra != rb {
		t.Error("normalized forms of one ID give different references")
	}
}

func TestParseIDRejects(t *testing.T) {
	cases := []struct {
		kind Kind
		raw  string
		want error
	}{
		{KindResidentID, "110105194912310021", ErrChecksum},
		{KindResidentID, "11010519491231002", ErrMalformedID},
		{KindResidentID, "1101051949123100X2", ErrMalformedID},
		{KindResidentID, "110105194913310028", ErrMalformedID}, // month 13
		{KindCreditCode, "914403001922038217", ErrChecksum},
		{KindCreditCode, "91440300192203821I", ErrChecksum},
		{KindCreditCode, "9144030019220382I6", ErrMalformedID},
		{KindPassport, "E12345678", ErrMalformedID},
		{KindPassport, "CHN:E1", ErrMalformedID},
		{"ssn", "123-45-6789", ErrUnknownKind},
	}
	for _, tc := range cases {
		_, err := ParseID(tc.kind, tc.raw)
		if !errors.Is(err, tc.want) {
			t.Errorf("ParseID(%s, %q) = %v, want %v", tc.kind, tc.raw, err, tc.want)
			continue
		}
		if tc.kind != "ssn" && strings.Contains(err.Error(), strings.TrimSpace(tc.raw)) {
			t.Errorf("error %q quotes the raw ID", err)
		}
	}
}

func TestIDNeverPrintsTheNumber(t *testing.T) {
	id, err := ParseID(KindResidentID, exampleResidentID)
	if err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("subject", "id", id)
	for _, s := range []string{fmt.Sprint(id), fmt.Sprintf("%v %+v %#v %s", id, id, id, id), logBuf.String()} {
		if strings.Contains(s, "19491231") {
			t.Errorf("ID printed its number: %s", s)
		}
	}
}

func TestRefDependsOnKindSecretAndNumber(t *testing.T) {
	s1 := bytes.Repeat([]byte{1}, 32)
	s2 := bytes.Repeat([]byte{2}, 32)
	rid, _ := ParseID(KindResidentID, exampleResidentID)
	other, err := ParseID(KindResidentID, "110105194912310038")
	if err != nil {
		t.Fatal(err)
	}
	r1, _ := rid.Ref(s1)
	r2, _ := rid.Ref(s2)
	r3, _ := other.Ref(s1)
	if r1 == r2 || r1 == r3 {
		t.Error("references collide across secrets or numbers")
	}
	if _, err := rid.Ref([]byte("short")); err == nil {
		t.Error("a short secret was accepted")
	}
	if _, err := (ID{}).Ref(s1); err == nil {
		t.Error("the zero ID got a reference")
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	issuer := bytes.Repeat([]byte{7}, 32)
	pt := []byte("payment record bytes")
	s, err := Seal("net-a", "ORDER-0001-xyz", issuer, pt, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if s.Lookup != Lookup("net-a", "ORDER-0001-xyz") {
		t.Fatal("sealed lookup differs from Lookup")
	}
	got, err := Open("net-a", "ORDER-0001-xyz", issuer, s.Lookup[:], s.Nonce[:], s.Ciphertext)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if bytes.Contains(s.Ciphertext, pt) {
		t.Fatal("ciphertext contains the plaintext")
	}
	otherIssuer := bytes.Repeat([]byte{8}, 32)
	tampered := append([]byte(nil), s.Ciphertext...)
	tampered[3] ^= 1
	badNonce := s.Nonce
	badNonce[0] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"wrong order ID": func() ([]byte, error) {
			return Open("net-a", "ORDER-0002-xyz", issuer, s.Lookup[:], s.Nonce[:], s.Ciphertext)
		},
		"wrong network": func() ([]byte, error) {
			return Open("net-b", "ORDER-0001-xyz", issuer, s.Lookup[:], s.Nonce[:], s.Ciphertext)
		},
		"wrong issuer": func() ([]byte, error) {
			return Open("net-a", "ORDER-0001-xyz", otherIssuer, s.Lookup[:], s.Nonce[:], s.Ciphertext)
		},
		"tampered ciphertext": func() ([]byte, error) {
			return Open("net-a", "ORDER-0001-xyz", issuer, s.Lookup[:], s.Nonce[:], tampered)
		},
		"tampered nonce": func() ([]byte, error) {
			return Open("net-a", "ORDER-0001-xyz", issuer, s.Lookup[:], badNonce[:], s.Ciphertext)
		},
	} {
		if _, err := open(); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: got %v, want ErrOpen", name, err)
		}
	}
}

func TestLookupAndKeyAreIndependent(t *testing.T) {
	l := Lookup("net", "ORDER-0001-xyz")
	k := derive("net", "ORDER-0001-xyz", keyInfo, 32)
	if bytes.Equal(l[:], k) {
		t.Fatal("lookup hash equals the sealing key")
	}
	if Lookup("net", "ORDER-0001-xyz") == Lookup("net2", "ORDER-0001-xyz") {
		t.Fatal("lookup ignores the network")
	}
}

func TestCheckOrderID(t *testing.T) {
	for _, bad := range []string{"", "short", "has space 123", "ünïcode-order", strings.Repeat("a", 129)} {
		if err := CheckOrderID(bad); !errors.Is(err, ErrOrderID) {
			t.Errorf("CheckOrderID(%q) = %v", bad, err)
		}
	}
	if err := CheckOrderID("P-2026-11-000001"); err != nil {
		t.Error(err)
	}
}
