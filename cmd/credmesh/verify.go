package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/credmesh/credmesh/api"
	"github.com/credmesh/credmesh/chain/cert"
	"github.com/credmesh/credmesh/chain/witness"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/internal/peerid"
	"github.com/credmesh/credmesh/node"
	"github.com/spf13/cobra"
)

// CertificateView is credmesh verify --json.
type CertificateView struct {
	Valid bool `json:"valid"` // every check passed, witnesses included
	// Error says what failed; absent when valid.
	Error             string `json:"error,omitempty"`
	FromQR            bool   `json:"from_qr,omitempty"`
	Bytes             int    `json:"bytes"`
	NetworkID         string `json:"network_id"`
	GenesisHash       string `json:"genesis_hash"`
	Sealed            bool   `json:"sealed"`
	LookupHash        string `json:"lookup_hash,omitempty"`
	PayerRef          string `json:"payer_ref,omitempty"` // the payer's subject reference, hex
	EntryIndex        uint32 `json:"entry_index"`
	BlockTime         string `json:"block_time,omitempty"`
	WitnessesRequired int    `json:"witnesses_required"`
	// Record is the opened record with its witnesses; for a sealed
	// certificate without --order-id, only its issuer, block and
	// witnesses are known.
	Record *api.PaymentView `json:"record,omitempty"`
	Issuer string           `json:"issuer,omitempty"`
	Height uint64           `json:"height,omitempty"`
	// Witnesses of a sealed certificate not opened.
	Witnesses *api.WitnessEvidence `json:"witnesses,omitempty"`
}

func newVerifyCmd() *cobra.Command {
	var (
		genesisPath, orderID string
		witnesses            int
		asJSON, notes        bool
	)
	c := &cobra.Command{
		Use:   "verify FILE --genesis FILE [--witnesses K]",
		Short: "Verify an offline payment certificate (a file, or the PNG of its QR code) with no network",
		Long: `Verify a payment certificate saved by "credmesh query payment ORDER_ID --save FILE"
(or its QR code, "--qr FILE.png"; or GET /v1/payments/{order}/certificate) against the
genesis alone: no network is used. It checks the genesis hash and network ID, the
issuer's signature on the block header, that the issuer is a payments member, the
entry's inclusion proof, the record (opened with its order ID when the certificate
carries it or --order-id gives it), each cosigned head's signature and the block's path
into its history, and each witness's cosignature. docs/PROTOCOL.md 19 specifies it.
Then it says what the certificate proves: who paid what to whom and when, which issuer,
which block, and how many witnesses cosigned which head.

Exit status (as query payment's):
  0  verified
  1  other errors: the file or the genesis cannot be read
  2  usage error
  4  invalid: a check failed (a changed byte, another genesis, a bad signature or path);
     the check is named
  7  too few witnesses: valid, but fewer than --witnesses members other than the issuer
     cosigned a head covering the block (default: a majority of them)`,
		Example: `  credmesh verify payment.cert --genesis ./genesis.json
  credmesh verify payment.png --genesis ./genesis.json --witnesses 1 --json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr(fmt.Sprintf("verify takes one FILE, not %d arguments", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if genesisPath == "" {
				return usageErr("--genesis FILE is required: the network's genesis.json")
			}
			g, err := config.LoadGenesis(genesisPath)
			if err != nil {
				return err
			}
			k := defaultWitnesses(g, witnesses)
			if k >= len(g.Members()) {
				return usageErr(fmt.Sprintf("--witnesses %d: the genesis has %d members, so at most %d witnesses other than an issuer", k, len(g.Members()), len(g.Members())-1))
			}
			data, fromQR, err := readCertFile(args[0])
			if err != nil {
				return err
			}
			return showCertificate(cmd.OutOrStdout(), g, data, fromQR, k, orderID, asJSON, notes)
		},
	}
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err.Error()) })
	c.Flags().StringVar(&genesisPath, "genesis", "", "the network's genesis.json")
	c.Flags().IntVar(&witnesses, "witnesses", -1, "how many members other than the issuer must have cosigned (default: a majority of them; 0: none)")
	c.Flags().StringVar(&orderID, "order-id", "", "open a sealed certificate with its order ID")
	c.Flags().BoolVar(&notes, "notes", false, "also print each cosignature as a C2SP signed note, for any tlog-witness verifier (vkey: the witness's key, docs/PROTOCOL.md 17.2)")
	c.Flags().BoolVar(&asJSON, "json", false, "print what it proves as JSON (also when it fails: valid false and the error)")
	return c
}

// showCertificate verifies a certificate and prints what it proves, or
// why not, turning the outcome into verify's exit code.
func showCertificate(out io.Writer, g *config.Genesis, data []byte, fromQR bool, k int, orderID string, asJSON, notes bool) error {
	gh := g.Hash()
	v := &CertificateView{FromQR: fromQR, Bytes: len(data), NetworkID: g.NetworkID(), GenesisHash: fmt.Sprintf("%x", gh[:]), WitnessesRequired: k}
	c, p, err := cert.Verify(data, trustOf(g), k)
	if err == nil && p.Record == nil && orderID != "" {
		err = p.Open(g.NetworkID(), orderID)
	}
	if c != nil && p != nil {
		fill(v, g, c, p)
	}
	if err != nil {
		v.Error = err.Error()
	}
	v.Valid = err == nil
	if asJSON {
		if perr := printJSON(out, v); perr != nil {
			return perr
		}
	} else if p != nil {
		printCertificate(out, g, v, p)
		if notes {
			printNotesOf(out, g, p)
		}
	}
	switch {
	case errors.Is(err, cert.ErrUnwitnessed):
		return &exitError{code: exitUnwitnessed, msg: "the certificate is valid but too few witnesses cosigned its block:\n  " + err.Error()}
	case err != nil:
		return &exitError{code: exitVerify, msg: "the certificate is INVALID, it proves nothing:\n  " + strings.ReplaceAll(err.Error(), "\n", "\n  ")}
	}
	return nil
}

func fill(v *CertificateView, g *config.Genesis, c *cert.Cert, p *cert.Proven) {
	v.Sealed = c.OrderID == ""
	v.LookupHash = fmt.Sprintf("%x", p.Lookup[:])
	v.EntryIndex = p.Index
	v.BlockTime = blockTime(p.Block)
	w := witnessView(g, p)
	issuer, _ := peerid.FromIssuer(p.Issuer)
	v.Issuer, v.Height = issuer.String(), p.Block.Height
	if p.Record == nil {
		v.Witnesses = w
		return
	}
	v.PayerRef = fmt.Sprintf("%x", p.Record.PayerRef)
	v.Record = node.PaymentView(p.Record, issuer.String(), g.MemberPeers()[issuer].Name, p.Block.Height, p.Block.Hash.String())
	v.Record.Witnesses = w
}

// printCertificate says in words what a certificate proves.
func printCertificate(out io.Writer, g *config.Genesis, v *CertificateView, p *cert.Proven) {
	what := "VERIFIED offline"
	if v.Error != "" {
		what = "NOT ENOUGH WITNESSES (the proofs hold; the policy is not met)"
	}
	src := "file"
	if v.FromQR {
		src = "QR code"
	}
	fmt.Fprintf(out, "payment certificate (%s, %d bytes) — %s\n", src, v.Bytes, what)
	iss := issuerName(g, p.Issuer)
	if r := v.Record; r != nil {
		fmt.Fprintf(out, "  proves    the payer with subject reference %s paid %s %s\n", v.PayerRef, minor(r.AmountMinor), r.Currency)
		fmt.Fprintf(out, "            to %s, the issuer, for %s, period %s,\n", iss, r.Category, r.Period)
		fmt.Fprintf(out, "            at %s\n", paidLine(r))
		if item := joinNonEmpty(r.Item, labelled("receipt ", r.ReceiptNo)); item != "" {
			fmt.Fprintf(out, "  item      %s\n", item)
		}
		fmt.Fprintf(out, "  order ID  %s\n", r.OrderID)
	} else {
		fmt.Fprintf(out, "  proves    %s published a payment record under lookup hash %s\n", iss, v.LookupHash)
		fmt.Fprintln(out, "            (sealed: --order-id ORDER_ID opens it)")
	}
	fmt.Fprintf(out, "  block     %d of the issuer's chain, %s, sealed %s, entry %d\n", p.Block.Height, p.Block.Hash, v.BlockTime, p.Index)
	fmt.Fprintf(out, "  witnesses %d members other than the issuer cosigned (required %d)\n", p.Witnesses, v.WitnessesRequired)
	printWitnessHeads(out, witnessView(g, p))
	fmt.Fprintf(out, "  network   %s, genesis %s (the genesis given)\n", v.NetworkID, v.GenesisHash)
}

// printWitnessHeads lists each cosigned head and its cosigners.
func printWitnessHeads(out io.Writer, w *api.WitnessEvidence) {
	for _, h := range w.Heads {
		at := "the block itself"
		if h.BlocksAhead > 0 {
			at = fmt.Sprintf("%d blocks after the block", h.BlocksAhead)
		}
		fmt.Fprintf(out, "    head %d (%s) %.16s, cosigned by:\n", h.Height, at, h.Hash)
		for _, c := range h.Cosigners {
			name := c.Witness
			if c.Name != "" {
				name = c.Name + " (" + c.Witness + ")"
			}
			fmt.Fprintf(out, "      %s at %s\n", name, c.SignedAt.Format("2006-01-02T15:04:05Z"))
		}
	}
}

func newCertCmd() *cobra.Command {
	c := &cobra.Command{Use: "cert", Short: "Offline payment certificates"}
	var (
		outPath   string
		keep      int
		genesisFn string
	)
	qr := &cobra.Command{
		Use:   "qr FILE --out FILE.png",
		Short: "Render a saved certificate as one QR code",
		Long: `Render a certificate file as one QR code (byte mode, error correction L, at most
2953 bytes). A certificate too large for one code keeps only --keep cosignatures
(default: all it can, at least a majority of the members other than the issuer, from
--genesis; 0 without it): it stays a valid certificate, with fewer witnesses.
"credmesh verify FILE.png" reads it back.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("cert qr takes one FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if outPath == "" {
				return usageErr("--out FILE.png is required")
			}
			data, _, err := readCertFile(args[0])
			if err != nil {
				return err
			}
			c, err := cert.Decode(data)
			if err != nil {
				return &exitError{code: exitVerify, msg: err.Error()}
			}
			if keep < 0 {
				keep = 0
				if genesisFn != "" {
					g, err := config.LoadGenesis(genesisFn)
					if err != nil {
						return err
					}
					keep = defaultWitnesses(g, -1)
				}
			}
			png, kept, err := qrOf(c, keep)
			if err != nil {
				return err
			}
			if err := writeFileAtomic(outPath, png); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: a QR code of the certificate with %d of its %d cosignatures\n", outPath, kept, c.Witnesses())
			return nil
		},
	}
	qr.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err.Error()) })
	qr.Flags().StringVar(&outPath, "out", "", "the PNG to write")
	qr.Flags().IntVar(&keep, "keep", -1, "the fewest cosignatures to keep when the certificate must be cut to fit")
	qr.Flags().StringVar(&genesisFn, "genesis", "", "the genesis, for the default of --keep")
	c.AddCommand(qr)
	return c
}

// printNotesOf prints every cosignature as a C2SP signed note with the
// vkey that verifies it.
func printNotesOf(out io.Writer, g *config.Genesis, p *cert.Proven) {
	for _, h := range p.Heads {
		for _, c := range h.Cosigners {
			fmt.Fprintf(out, "\ncosignature of head %d by %s (vkey %s):\n%s", h.Height, issuerName(g, c.Witness), witness.VerifierKey(c.Witness), c.Note)
		}
	}
}
