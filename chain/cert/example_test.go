package cert_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/cert"
	"github.com/credmesh/credmesh/chain/merkle"
	"github.com/credmesh/credmesh/chain/privacy"
	"github.com/credmesh/credmesh/chain/witness"
)

var update = flag.Bool("update", false, "rewrite testdata/example.cert and the worked example of docs/PROTOCOL.md 19")

const (
	goldenFile  = "testdata/example.cert"
	protocolDoc = "../../docs/PROTOCOL.md"
	exampleTag  = "```cert-example"
)

// exampleCert is the worked example of PROTOCOL.md 19: payment 4 of issuer
// 0 (block 2 of five, entry 1 of 3), cosigned by witness 3 at block 2 and
// by witnesses 1 and 2 at head 5, signed at the virtual clock's start
// (2000-01-01T00:00:00Z), every nonce from a fixed stream: the same bytes
// every run.
func exampleCert(t *testing.T) (data []byte, values map[string]string) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, 5)
		c := w.cert(4, w.witnessed(4, 2, 3), w.witnessed(4, 5, 1, 2))
		data = marshal(t, c)
		values = exampleValues(t, w, c, data)
	})
	return data, values
}

func exampleValues(t *testing.T, w *world, c *cert.Cert, data []byte) map[string]string {
	v := map[string]string{}
	put := func(k string, x any) { v[k] = fmt.Sprint(x) }
	sum := sha256.Sum256(data)
	block, head := c.Proof.Header, c.Witnessed[1].Head
	put("file_bytes", len(data))
	put("file_sha256", hex.EncodeToString(sum[:]))
	put("file_prefix", hex.EncodeToString(data[:len(cert.Magic)+4]))
	put("network_id", c.NetworkID)
	put("genesis_hash", c.GenesisHash)
	put("order_id", c.OrderID)
	lookup := privacy.Lookup(c.NetworkID, c.OrderID)
	put("lookup_hash", hex.EncodeToString(lookup[:]))
	put("entry_bytes", len(c.Proof.Entry))
	put("entry_leaf", merkle.LeafHash(c.Proof.Entry))
	put("entry_index", c.Proof.Index)
	put("entry_path_nodes", len(c.Proof.Path))
	put("block_issuer", block.Issuer)
	put("block_height", block.Height)
	put("block_entries_root", block.EntriesRoot)
	put("block_hash", block.Hash)
	put("head_height", head.Height)
	put("head_hash", head.Hash)
	put("head_history_root", head.HistoryRoot)
	put("history_leaf", chain.HistoryLeaf(block.Hash))
	put("history_path_nodes", len(c.Witnessed[1].HistoryPath))
	cs := c.Witnessed[1].Cosignatures[0]
	put("witness_key", cs.Witness)
	put("witness_vkey", witness.VerifierKey(cs.Witness))
	put("witness_leaf", witness.Leaf(cs.Head))
	put("witness_tree_size", cs.TreeSize)
	put("witness_leaf_index", cs.Index)
	root, err := merkle.RootFromInclusionProof(witness.Leaf(cs.Head), cs.Index, cs.TreeSize, cs.Path)
	if err != nil {
		t.Fatal(err)
	}
	body := witness.Checkpoint(c.NetworkID, cs.TreeSize, root)
	put("checkpoint_body", strings.ReplaceAll(string(body), "\n", `\n`))
	put("cosigned_message", strings.ReplaceAll(fmt.Sprintf("cosignature/v1\ntime %d\n%s", witness.SignatureTime(cs.Signature).Unix(), body), "\n", `\n`))
	put("cosignature", hex.EncodeToString(cs.Signature))
	_, p, err := cert.Verify(data, trust(), 3)
	if err != nil {
		t.Fatal(err)
	}
	put("proves", fmt.Sprintf("%d %s %s of payer %x, block %d, %d witnesses of heads %d and %d",
		p.Record.AmountMinor, p.Record.Currency, p.Record.Period, p.Record.PayerRef[:4], p.Block.Height, p.Witnesses, p.Heads[0].Height, p.Heads[1].Height))
	return v
}

var exampleLine = regexp.MustCompile(`^([a-z0-9_]+): (.*)$`)

// TestWorkedExample recomputes the example certificate and every value of
// PROTOCOL.md 19's worked example, and fails when the golden file or the
// document differs; go test ./chain/cert -run TestWorkedExample -update
// rewrites both.
func TestWorkedExample(t *testing.T) {
	data, want := exampleCert(t)
	if *update {
		if err := os.WriteFile(goldenFile, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(golden, data) {
		t.Errorf("%s differs from the certificate the code makes (%d and %d bytes); -update rewrites it", goldenFile, len(golden), len(data))
	}
	if _, _, err := cert.Verify(golden, trust(), 3); err != nil {
		t.Errorf("the golden certificate: %v", err)
	}
	doc, err := os.ReadFile(protocolDoc)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(doc), "\n")
	found := map[string]bool{}
	in := false
	for i, line := range lines {
		switch {
		case line == exampleTag:
			in = true
			continue
		case strings.HasPrefix(line, "```"):
			in = false
			continue
		case !in:
			continue
		}
		m := exampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("PROTOCOL.md line %d in a certificate example is not \"name: value\": %q", i+1, line)
			continue
		}
		v, ok := want[m[1]]
		switch {
		case !ok:
			t.Errorf("PROTOCOL.md line %d: unknown example value %q", i+1, m[1])
		case m[2] != v && *update:
			lines[i] = m[1] + ": " + v
		case m[2] != v:
			t.Errorf("PROTOCOL.md line %d: %s is\n  %s\nthe code computes\n  %s", i+1, m[1], m[2], v)
		}
		found[m[1]] = true
	}
	for k, v := range want {
		if !found[k] {
			t.Errorf("PROTOCOL.md's certificate example lacks %s: %s", k, v)
		}
	}
	if *update {
		if err := os.WriteFile(protocolDoc, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
