package cert_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/cert"
	"github.com/credmesh/credmesh/chain/cert/certpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/witness"
	"github.com/transparency-dev/formats/note"
	sumdbnote "golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// A certificate of payment 4 (block 2, index 1): witnesses 1 and 2
// cosigned a later head (5), witness 3 the block itself, and witness 1
// the block too (kept once). It verifies with the three, and says what
// it proves.
func TestCertificateVerifies(t *testing.T) {
	w := newWorld(t, 5)
	c := w.cert(4, w.witnessed(4, 2, 1, 3), w.witnessed(4, 5, 1, 2, 0))
	if c.Witnesses() != 3 {
		t.Fatalf("%d cosignatures kept, want 3 (the issuer's dropped, witness 1 once)", c.Witnesses())
	}
	data := marshal(t, c)
	t.Logf("certificate: %d bytes", len(data))
	_, p, err := cert.Verify(data, trust(), 3)
	if err != nil {
		t.Fatal(err)
	}
	want := chaintest.PaymentRecord(0, 4)
	if p.Record == nil || !proto.Equal(p.Record, want) {
		t.Fatalf("record %v, want %v", p.Record, want)
	}
	if p.Issuer != chaintest.Issuer(0) || p.Block.Height != 2 || p.Index != 1 || p.Witnesses != 3 || len(p.Heads) != 2 {
		t.Fatalf("proven: issuer %s block %d index %d witnesses %d heads %d", p.Issuer.Short(), p.Block.Height, p.Index, p.Witnesses, len(p.Heads))
	}
	if p.Heads[0].Height != 2 || p.Heads[1].Height != 5 || len(p.Heads[1].Cosigners) != 2 {
		t.Fatalf("heads %+v", p.Heads)
	}
	// Each cosignature is a C2SP signed note a tlog-witness verifier
	// opens with the witness's vkey.
	for _, h := range p.Heads {
		for _, cs := range h.Cosigners {
			v, err := note.NewVerifierForCosignatureV1(witness.VerifierKey(cs.Witness))
			if err != nil {
				t.Fatal(err)
			}
			n, err := sumdbnote.Open([]byte(cs.Note), sumdbnote.VerifierList(v))
			if err != nil || len(n.Sigs) != 1 || !strings.HasPrefix(n.Text, "credmesh/test-net/heads\n") {
				t.Fatalf("the note of %s: %v\n%s", cs.Witness.Short(), err, cs.Note)
			}
		}
	}
	again, err := cert.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(marshal(t, again), data) {
		t.Fatal("a decoded certificate encodes to other bytes")
	}
}

// Every change of one byte of a certificate file fails verification: each
// byte set to three other values (its low bit flipped, its high bit
// flipped, its complement), and the file cut short or lengthened.
func TestEveryByteChangeFails(t *testing.T) {
	w := newWorld(t, 5)
	data := marshal(t, w.cert(4, w.witnessed(4, 2, 3), w.witnessed(4, 5, 1, 2)))
	if _, _, err := cert.Verify(data, trust(), 3); err != nil {
		t.Fatal(err)
	}
	bad := make([]byte, len(data))
	changes := []byte{0x01, 0x80, 0xff}
	if raceEnabled {
		changes = changes[2:]
	}
	for i := range data {
		for _, x := range changes {
			copy(bad, data)
			bad[i] ^= x
			if _, _, err := cert.Verify(bad, trust(), 0); !errors.Is(err, cert.ErrInvalid) {
				t.Fatalf("byte %d of %d xor %#x: %v, want ErrInvalid", i, len(data), x, err)
			}
		}
	}
	for n := range len(data) {
		if _, _, err := cert.Verify(data[:n], trust(), 0); !errors.Is(err, cert.ErrInvalid) {
			t.Fatalf("the first %d bytes: %v", n, err)
		}
	}
	for _, tail := range [][]byte{{0}, {0x08, 0x01}, protowire.AppendTag(nil, 99, protowire.VarintType)} {
		if _, _, err := cert.Verify(append(bytes.Clone(data), tail...), trust(), 0); !errors.Is(err, cert.ErrInvalid) {
			t.Fatalf("with %x appended: %v", tail, err)
		}
	}
}

// A certificate saved before many later blocks still verifies, and one
// made later proves the old block through the later head's history.
func TestCertificateOutlivesLaterBlocks(t *testing.T) {
	w := newWorld(t, 2)
	old := marshal(t, w.cert(4, w.witnessed(4, 2, 1, 2, 3)))
	w.grow(300)
	if _, _, err := cert.Verify(old, trust(), 3); err != nil {
		t.Fatalf("the certificate saved at block 2, 300 blocks later: %v", err)
	}
	late := marshal(t, w.cert(4, w.witnessed(4, 302, 1, 2, 3)))
	_, p, err := cert.Verify(late, trust(), 3)
	if err != nil {
		t.Fatalf("a certificate through head 302: %v", err)
	}
	if p.Heads[0].Height != 302 || p.Block.Height != 2 {
		t.Fatalf("heads %+v", p.Heads)
	}
}

// Against another genesis, network or member set a certificate fails.
func TestWrongGenesisFails(t *testing.T) {
	w := newWorld(t, 2)
	data := marshal(t, w.cert(4, w.witnessed(4, 2, 1, 2, 3)))
	cases := map[string]func(*cert.Trust){
		"genesis hash": func(tr *cert.Trust) { tr.GenesisHash[0] ^= 1 },
		"network":      func(tr *cert.Trust) { tr.NetworkID = "other-net" },
		"no issuer":    func(tr *cert.Trust) { delete(tr.Members, chaintest.Issuer(0)) },
		"no witness":   func(tr *cert.Trust) { delete(tr.Members, chaintest.Issuer(2)) },
		"no payments":  func(tr *cert.Trust) { tr.Members[chaintest.Issuer(0)] = chain.RoleCredit },
	}
	for name, edit := range cases {
		tr := trust()
		edit(&tr)
		if _, _, err := cert.Verify(data, tr, 0); !errors.Is(err, cert.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

// Fewer witnesses than the policy wants is ErrUnwitnessed, with what the
// certificate proves; the policy K = 0 takes a certificate without any.
func TestTooFewWitnesses(t *testing.T) {
	w := newWorld(t, 5)
	data := marshal(t, w.cert(4, w.witnessed(4, 5, 1, 2)))
	_, p, err := cert.Verify(data, trust(), 3)
	var we *cert.WitnessError
	if !errors.As(err, &we) || !errors.Is(err, cert.ErrUnwitnessed) || we.Have != 2 || we.Want != 3 || p == nil {
		t.Fatalf("two witnesses of three: %v", err)
	}
	if errors.Is(err, cert.ErrInvalid) {
		t.Fatal("too few witnesses is not an invalid certificate")
	}
	none := marshal(t, w.cert(4))
	if _, _, err := cert.Verify(none, trust(), 0); err != nil {
		t.Fatalf("no witness with K = 0: %v", err)
	}
	if _, _, err := cert.Verify(none, trust(), 1); !errors.Is(err, cert.ErrUnwitnessed) {
		t.Fatalf("no witness with K = 1: %v", err)
	}
}

// A sealed certificate proves a payment under a lookup hash; the order
// ID opens it, another does not.
func TestSealedCertificate(t *testing.T) {
	w := newWorld(t, 2)
	data := marshal(t, w.cert(4, w.witnessed(4, 2, 1, 2, 3)).Sealed())
	_, p, err := cert.Verify(data, trust(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if p.Record != nil {
		t.Fatal("a sealed certificate showed its record")
	}
	if err := p.Open(chaintest.NetworkID, chaintest.OrderID(0, 5)); !errors.Is(err, cert.ErrInvalid) {
		t.Fatalf("another order ID: %v", err)
	}
	if err := p.Open(chaintest.NetworkID, chaintest.OrderID(0, 4)); err != nil || p.Record.OrderId != chaintest.OrderID(0, 4) {
		t.Fatalf("its order ID: %v", err)
	}
}

// What no valid certificate holds is refused even when every signature
// in it is good: a cosignature of the issuer, two of one witness, a
// cosignature passed off as one of another head, an order ID of another
// record.
func TestForgedContentIsRefused(t *testing.T) {
	w := newWorld(t, 5)
	good := w.cert(4, w.witnessed(4, 2, 1), w.witnessed(4, 5, 2))
	cases := map[string]func(c *cert.Cert){
		"issuer's own": func(c *cert.Cert) {
			c.Witnessed[0].Cosignatures = append(w.witnessed(4, 2, 0).Cosignatures, c.Witnessed[0].Cosignatures...)
		},
		"borrowed": func(c *cert.Cert) {
			c.Witnessed[0].Cosignatures = w.witnessed(4, 3, 1).Cosignatures
		},
		"other order": func(c *cert.Cert) { c.OrderID = chaintest.OrderID(0, 5) },
		"other entry": func(c *cert.Cert) { c.Proof.Entry = w.proof(5).Entry },
		"old head": func(c *cert.Cert) {
			c.Witnessed[1].Head = w.blocks[0].SignedHeader
		},
	}
	for name, edit := range cases {
		c := *good
		c.Witnessed = append([]cert.Witnessed(nil), good.Witnessed...)
		edit(&c)
		data, err := c.Marshal()
		if err != nil {
			continue // refused before it is written
		}
		if _, _, err := cert.Verify(data, trust(), 0); !errors.Is(err, cert.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	twice := *good
	twice.Witnessed = []cert.Witnessed{w.witnessed(4, 2, 1), w.witnessed(4, 5, 1)}
	if _, err := twice.Marshal(); !errors.Is(err, cert.ErrInvalid) {
		t.Errorf("one witness twice was written: %v", err)
	}
}

// Trim keeps a certificate under a size by dropping cosignatures beyond a
// policy, and says when it cannot.
func TestTrim(t *testing.T) {
	w := newWorld(t, 5)
	c := w.cert(4, w.witnessed(4, 2, 1, 2), w.witnessed(4, 5, 3, 4))
	full := len(marshal(t, c))
	small, ok := c.Trim(full-1, 2)
	if !ok || len(marshal(t, small)) > full-1 || small.Witnesses() < 2 || small.Witnesses() == 4 {
		t.Fatalf("trim: ok %v, %d cosignatures", ok, small.Witnesses())
	}
	if _, _, err := cert.Verify(marshal(t, small), trust(), 2); err != nil {
		t.Fatal(err)
	}
	if c.Witnesses() != 4 {
		t.Fatal("Trim changed the original")
	}
	if _, ok := c.Trim(100, 1); ok {
		t.Fatal("a certificate fit in 100 bytes")
	}
}

// Witnesses that cosigned the same heads share one tree: each costs its
// key and signature only. A file that splits a shared tree in two, or
// lists its trees out of order, says the same but is not the canonical
// encoding, and is refused.
func TestSharedTreesAreCanonical(t *testing.T) {
	w := newWorld(t, 5)
	one := len(marshal(t, w.cert(4, w.witnessed(4, 5, 1))))
	four := marshal(t, w.cert(4, w.witnessed(4, 5, 1, 2, 3, 4)))
	if per := (len(four) - one) / 3; per > 32+72+8 {
		t.Fatalf("%d bytes per further witness of a shared tree", per)
	}
	body := func(data []byte) *certpb.Certificate {
		var pb certpb.Certificate
		if err := proto.Unmarshal(data[len(cert.Magic)+4:], &pb); err != nil {
			t.Fatal(err)
		}
		return &pb
	}
	file := func(pb *certpb.Certificate) []byte {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(pb)
		if err != nil {
			t.Fatal(err)
		}
		return append(binary.BigEndian.AppendUint32([]byte(cert.Magic), uint32(len(b))), b...)
	}
	if _, _, err := cert.Verify(file(body(four)), trust(), 4); err != nil {
		t.Fatalf("re-encoded: %v", err)
	}
	split := body(four)
	tr := split.Witnessed[0].Trees[0]
	if len(split.Witnessed[0].Trees) != 1 || len(tr.Signatures) != 4 {
		t.Fatalf("%d trees", len(split.Witnessed[0].Trees))
	}
	second := proto.Clone(tr).(*certpb.CosignedTree)
	tr.Signatures, second.Signatures = tr.Signatures[:2], second.Signatures[2:]
	split.Witnessed[0].Trees = append(split.Witnessed[0].Trees, second)
	if _, _, err := cert.Verify(file(split), trust(), 0); !errors.Is(err, cert.ErrInvalid) {
		t.Fatalf("a shared tree split in two: %v", err)
	}
	split.Witnessed[0].Trees[0], split.Witnessed[0].Trees[1] = split.Witnessed[0].Trees[1], split.Witnessed[0].Trees[0]
	if _, _, err := cert.Verify(file(split), trust(), 0); !errors.Is(err, cert.ErrInvalid) {
		t.Fatalf("trees out of order: %v", err)
	}
}
