package cert_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/cert"
	"github.com/credmesh/credmesh/chain/chainpb"
	"github.com/credmesh/credmesh/chain/chaintest"
	"github.com/credmesh/credmesh/chain/merkle"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/chain/witness"
	"google.golang.org/protobuf/proto"
)

// members: 0 is the issuer, 1..4 witnesses.
const members = 5

var genesisHash = sha256.Sum256([]byte("test genesis"))

func trust() cert.Trust {
	return cert.Trust{NetworkID: chaintest.NetworkID, GenesisHash: genesisHash, Members: chaintest.Members(members)}
}

// stream is a deterministic reader for sealing nonces.
type stream struct{ n uint64 }

func (s *stream) Read(p []byte) (int, error) {
	for i := range p {
		h := sha256.Sum256([]byte{byte(s.n), byte(s.n >> 8)})
		p[i] = h[0]
		s.n++
	}
	return len(p), nil
}

// entry seals payment n of issuer 0 with a deterministic nonce.
func entry(t testing.TB, rnd *stream, n int) []byte { return entryOf(t, rnd, 0, n) }

// entryOf seals payment n of issuer iss with a deterministic nonce.
func entryOf(t testing.TB, rnd *stream, iss, n int) []byte {
	rec := chaintest.PaymentRecord(iss, n)
	pt, err := proto.MarshalOptions{Deterministic: true}.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	id := chaintest.Issuer(iss)
	s, err := privacy.Seal(chaintest.NetworkID, rec.OrderId, id[:], pt, rnd)
	if err != nil {
		t.Fatal(err)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(&chainpb.Entry{Body: &chainpb.Entry_Payment{Payment: &chainpb.SealedPayment{
		Lookup: s.Lookup[:], Nonce: s.Nonce[:], Ciphertext: s.Ciphertext}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// world is a chain of issuer 0 (three entries a block, payment n in block
// n/3+1 at index n%3) and a chain of issuer 1 of one block.
type world struct {
	t      testing.TB
	rnd    *stream
	blocks []*chain.Block
	other  *chain.Block
}

func newWorld(t testing.TB, n int) *world {
	w := &world{t: t, rnd: &stream{}}
	o, err := chain.NewBlock(chaintest.NetworkID, nil, [][]byte{entryOf(t, w.rnd, 1, 0)}, chaintest.Key(1), chaintest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	w.other = o
	w.grow(n)
	return w
}

// grow adds n blocks to issuer 0's chain.
func (w *world) grow(n int) {
	for range n {
		var head *chain.SignedHeader
		if len(w.blocks) > 0 {
			head = w.blocks[len(w.blocks)-1].SignedHeader
		}
		h := len(w.blocks)
		entries := [][]byte{entry(w.t, w.rnd, 3*h), entry(w.t, w.rnd, 3*h+1), entry(w.t, w.rnd, 3*h+2)}
		b, err := chain.NewBlock(chaintest.NetworkID, head, entries, chaintest.Key(0), chaintest.Epoch.Add(time.Duration(h+1)*time.Second))
		if err != nil {
			w.t.Fatal(err)
		}
		w.blocks = append(w.blocks, b)
	}
}

// proof of payment n.
func (w *world) proof(n int) *chain.Proof {
	b := w.blocks[n/3]
	leaves := make([]chain.Hash, len(b.Entries))
	for i, e := range b.Entries {
		leaves[i] = merkle.LeafHash(e)
	}
	path, err := merkle.InclusionProof(leaves, uint64(n%3))
	if err != nil {
		w.t.Fatal(err)
	}
	return &chain.Proof{Entry: b.Entries[n%3], Index: uint32(n % 3), Path: path, Header: b.SignedHeader}
}

// witnessed: witnesses ws cosign head (a height of issuer 0's chain), in
// statements that hold issuer 1's chain too; the block of payment n is
// proven in its history.
func (w *world) witnessed(n, head int, ws ...int) cert.Witnessed {
	block := w.blocks[n/3]
	h := w.blocks[head-1].SignedHeader
	out := cert.Witnessed{}
	if h.Height > block.Height {
		leaves := make([]chain.Hash, head-1)
		for i := range leaves {
			leaves[i] = chain.HistoryLeaf(w.blocks[i].Hash)
		}
		path, err := merkle.InclusionProof(leaves, block.Height-1)
		if err != nil {
			w.t.Fatal(err)
		}
		out.Head, out.HistoryPath = h, path
	}
	heads := []witness.Head{{Issuer: h.Issuer, Height: h.Height, Hash: h.Hash}, {Issuer: w.other.Issuer, Height: 1, Hash: w.other.Hash}}
	witness.SortHeads(heads)
	for _, k := range ws {
		s, err := witness.Sign(chaintest.NetworkID, heads, chaintest.Key(k))
		if err != nil {
			w.t.Fatal(err)
		}
		c, ok := witness.CosignatureOf(s, merkle.NewTree(witness.Leaves(s.Heads)), h.Issuer)
		if !ok {
			w.t.Fatal("no cosignature")
		}
		out.Cosignatures = append(out.Cosignatures, c)
	}
	return out
}

func (w *world) cert(n int, ws ...cert.Witnessed) *cert.Cert {
	c, err := cert.New(cert.Parts{NetworkID: chaintest.NetworkID, GenesisHash: genesisHash, OrderID: chaintest.OrderID(0, n), Proof: w.proof(n), Witnessed: ws})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func marshal(t testing.TB, c *cert.Cert) []byte {
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
