package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain"
	"github.com/credmesh/credmesh/chain/cert"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/credmesh/credmesh/internal/qrfile"
	"github.com/credmesh/credmesh/queryproto"
)

// trustOf is what a certificate is verified against: the genesis.
func trustOf(g *config.Genesis) cert.Trust {
	return cert.Trust{NetworkID: g.NetworkID(), GenesisHash: g.Hash(), Members: g.Members()}
}

// certOf makes the certificate of a record a lookup verified, with every
// witness that cosigned a head covering its block; sealed leaves the order
// ID out.
func certOf(g *config.Genesis, orderID string, pay *queryproto.Payment, sealed bool) (*cert.Cert, error) {
	if pay.Proof == nil {
		return nil, fmt.Errorf("the record of %s at %d came without its proof", pay.Issuer.Short(), pay.Height)
	}
	parts := cert.Parts{NetworkID: g.NetworkID(), GenesisHash: g.Hash(), OrderID: orderID, Proof: pay.Proof}
	if sealed {
		parts.OrderID = ""
	}
	for _, w := range pay.Witnessed {
		parts.Witnessed = append(parts.Witnessed, cert.Witnessed{Head: w.Head, HistoryPath: w.HistoryPath, Cosignatures: w.Cosignatures})
	}
	return cert.New(parts)
}

// witnessView shows the heads a certificate proves cosigned.
func witnessView(g *config.Genesis, p *cert.Proven) *api.WitnessEvidence {
	members := g.MemberPeers()
	out := &api.WitnessEvidence{Count: p.Witnesses, Heads: []api.WitnessedHeadView{}}
	for _, h := range p.Heads {
		hv := api.WitnessedHeadView{Height: h.Height, Hash: h.Hash.String(), BlocksAhead: h.Height - p.Block.Height, Cosigners: []api.CosignerView{}}
		for _, c := range h.Cosigners {
			cv := api.CosignerView{Witness: fmt.Sprintf("%x", c.Witness[:4]), SignedAt: c.SignedAt.UTC(), Note: c.Note}
			if id, err := peerid.FromIssuer(c.Witness); err == nil {
				cv.Witness, cv.Name = id.String(), members[id].Name
			}
			hv.Cosigners = append(hv.Cosigners, cv)
		}
		out.Heads = append(out.Heads, hv)
	}
	return out
}

// witnessesOf is the witness evidence of a record a lookup verified.
func witnessesOf(g *config.Genesis, orderID string, pay *queryproto.Payment) *api.WitnessEvidence {
	c, err := certOf(g, orderID, pay, false)
	if err != nil {
		return nil
	}
	p, err := c.Verify(trustOf(g), 0)
	if err != nil {
		return nil // verified by the lookup already; nothing to show otherwise
	}
	return witnessView(g, p)
}

// writeFileAtomic writes data to path through a temporary file in the
// same directory, so a crash leaves the old file or the new one whole.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// qrOf renders a certificate as one QR code, dropping cosignatures beyond
// keep if it does not fit; it returns how many it kept.
func qrOf(c *cert.Cert, keep int) ([]byte, int, error) {
	small, ok := c.Trim(qrfile.MaxBytes, keep)
	if !ok {
		b, _ := small.Marshal()
		return nil, 0, fmt.Errorf("the certificate does not fit one QR code: %d bytes with %d cosignatures, at most %d bytes (save it as a file instead, or ask for fewer witnesses)", len(b), small.Witnesses(), qrfile.MaxBytes)
	}
	data, err := small.Marshal()
	if err != nil {
		return nil, 0, err
	}
	png, err := qrfile.Encode(data)
	return png, small.Witnesses(), err
}

// maxCertFileBytes bounds a file verify reads: a certificate
// (cert.MaxBytes) or a PNG of one QR code, which is far smaller.
const maxCertFileBytes = 16 << 20

// readCertFile reads a certificate file, or the QR code of a PNG holding
// one.
func readCertFile(path string) ([]byte, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCertFileBytes+1))
	if err != nil {
		return nil, false, err
	}
	if len(data) > maxCertFileBytes {
		return nil, false, fmt.Errorf("%s: more than %d bytes: not a certificate nor its QR code", path, maxCertFileBytes)
	}
	if len(data) >= 8 && string(data[:8]) == "\x89PNG\r\n\x1a\n" {
		b, err := qrfile.Decode(data)
		if err != nil {
			return nil, true, fmt.Errorf("%s: %w", path, err)
		}
		return b, true, nil
	}
	return data, false, nil
}

// defaultWitnesses resolves a --witnesses flag (negative: the default of
// the genesis).
func defaultWitnesses(g *config.Genesis, k int) int {
	if k < 0 {
		return queryproto.DefaultWitnesses(len(g.Members()))
	}
	return k
}

// blockTime is a header's time in UTC, to the second.
func blockTime(h *chain.SignedHeader) string { return h.Time.UTC().Format("2006-01-02T15:04:05Z") }
